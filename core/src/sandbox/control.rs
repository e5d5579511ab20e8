//! Sandbox-only endpoints that play the buyer: create an order (already paid, or
//! unpaid as the real checkout leaves it), pay or cancel it, approve or dispute it, or
//! let its review window lapse; and the practice clock, which makes time pass. The real
//! platform does this through `POST /orders` and wallet-signed `PATCH /orders/{id}`
//! calls that a provider's tools never make, so they are simplified here, and they
//! answer malformed bodies with a 400 rather than a 500.

use std::time::Duration;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

use super::app::App;
use super::reply::{self, bad_request, Failure, RawBody, Reply};
use super::rows::{Order, OrderView};
use super::store::Store;
use super::{ids, js};

fn json_object(raw: RawBody) -> Result<Map<String, Value>, Failure> {
    let bytes = raw.map_err(|_| bad_request("Could not read the request body"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(bad_request("Request body must be a JSON object")),
    }
}

pub fn place_order(app: &App, raw: RawBody) -> Reply {
    let body = json_object(raw)?;
    let (Some(Value::String(service_id)), Some(brief)) =
        (body.get("service_id"), body.get("brief"))
    else {
        return Err(bad_request("Missing required fields: service_id, brief"));
    };
    // The real checkout's rule for briefs.
    if !js::is_string_of_length(brief, 10, 1000) {
        return Err(bad_request("Brief must be 10-1000 characters"));
    }
    let client_wallet = match body.get("client_wallet") {
        None | Some(Value::Null) => ids::new_wallet(),
        Some(Value::String(w)) if js::looks_like_base58_address(w) => w.clone(),
        Some(_) => {
            return Err(bad_request(
                "client_wallet must be a valid base58 Solana address",
            ))
        }
    };
    let reference_urls = match body.get("reference_urls") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Array(items)) if items.len() <= 5 => Some(js::json_stringify(v)),
        Some(_) => return Err(bad_request("reference_urls must be an array of max 5 URLs")),
    };
    // Paid at once unless asked otherwise, as before the two steps existed: tests and
    // tools written against the one-step order keep working.
    let pay = match body.get("pay") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(pay)) => *pay,
        Some(_) => return Err(bad_request("pay must be true or false")),
    };
    let mut store = app.lock();
    let service = store
        .service(service_id)
        .filter(|s| s.active == 1)
        .ok_or_else(|| reply::error(StatusCode::NOT_FOUND, "Service not found or inactive"))?;

    // The real server quotes only a fixed price; a `quote` service's order waits for a
    // quote that the external-agent API has no call to send. The one-step order keeps
    // its old shortcut of charging the listed price whatever the price type.
    let quoted = (pay || service.price_type == "fixed").then(|| service.price_usd.clone());
    let fee = quoted
        .as_deref()
        .map(|price| js::to_fixed_2(js::parse_float(price) * 0.10));
    let mut order = Order {
        id: ids::new_id("ord"),
        service_id: service.id.clone(),
        client_agent_id: None,
        client_wallet: Some(client_wallet),
        provider_agent_id: service.agent_id.clone(),
        brief: js::to_string(brief),
        reference_urls,
        status: if quoted.is_some() {
            "quoted"
        } else {
            "pending_quote"
        }
        .to_owned(),
        quoted_price_usd: quoted,
        platform_fee_usd: fee,
        payment_method: None,
        escrow_tx_hash: None,
        payout_tx_hash: None,
        deliverable_post_id: None,
        deliverable_url: None,
        deliverable_media_type: None,
        quota_total: service.quota_limit,
        quota_used: 0,
        workspace_expires_at: None,
        delivered_at: None,
        review_deadline: None,
        completed_at: None,
        created_at: ids::timestamp_now(),
    };
    if pay {
        mark_paid(&mut order);
    }
    let order_id = order.id.clone();
    // As the real server does on creation, before (and whether or not) it is paid.
    if let Some(service) = store.service_mut(&order.service_id) {
        service.total_orders += 1;
    }
    store.orders.push(order);
    app.commit(&store)?;
    let order = store.order(&order_id).ok_or_else(reply::internal)?;
    reply::ok(StatusCode::CREATED, store.order_view(order))
}

/// What the real server's `pay` action records once the transfer checks out. Its
/// workspace and auto-generation branches need `quota_limit` or a `provider_key`, which
/// services created through the external-agent API never have.
fn mark_paid(order: &mut Order) {
    order.status = "paid".to_owned();
    order.payment_method = Some("usdc-sol".to_owned());
    order.escrow_tx_hash = Some(ids::new_tx_signature());
}

/// What the buyer does with an order it created.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    Pay,
    Cancel,
}

impl Step {
    /// The real server's `VALID_TRANSITIONS`: paying again a paid order is allowed there
    /// (it checks another transfer), so it is here.
    fn allowed_from(self) -> &'static [&'static str] {
        match self {
            Step::Pay => &["quoted", "accepted", "paid", "in_progress"],
            Step::Cancel => &["pending_quote", "quoted", "accepted"],
        }
    }

    fn action(self) -> &'static str {
        match self {
            Step::Pay => "pay",
            Step::Cancel => "cancel",
        }
    }
}

pub fn advance(app: &App, order_id: &str, step: Step) -> Reply {
    let mut store = app.lock();
    let order = store
        .order_mut(order_id)
        .ok_or_else(|| reply::error(StatusCode::NOT_FOUND, "Order not found"))?;
    if !step.allowed_from().contains(&order.status.as_str()) {
        return Err(bad_request(format!(
            "Cannot {} order in status {}",
            step.action(),
            order.status
        )));
    }
    match step {
        Step::Pay => mark_paid(order),
        Step::Cancel => order.status = "cancelled".to_owned(),
    }
    app.commit(&store)?;
    let order = store.order(order_id).ok_or_else(reply::internal)?;
    reply::ok(StatusCode::OK, store.order_view(order))
}

/// Statuses the real server lets an order be disputed from. Its Atelier routes have no
/// dispute at all (a wallet client can only pay, cancel or approve); the one transition
/// to `disputed` is in its older agent-to-agent route, `PATCH /api/orders/{id}`, open to
/// either party.
const DISPUTABLE: [&str; 6] = [
    "pending_quote",
    "quoted",
    "accepted",
    "paid",
    "in_progress",
    "delivered",
];

/// The longest the practice clock (or one order) may be moved forward at once.
pub const MAX_ADVANCE_SECS: u64 = 30 * 24 * 3600;

fn order_not_found() -> Failure {
    reply::error(StatusCode::NOT_FOUND, "Order not found")
}

/// A body that may be left out (or blank): then it reads as `{}`.
fn optional_object(raw: RawBody) -> Result<Map<String, Value>, Failure> {
    let bytes = raw.map_err(|_| bad_request("Could not read the request body"))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    json_object(Ok(bytes))
}

/// `payout`: whether the transfer to the creator goes through (default) or fails.
fn payout_wanted(raw: RawBody) -> Result<bool, Failure> {
    match optional_object(raw)?.get("payout") {
        None | Some(Value::Null) => Ok(true),
        Some(Value::Bool(payout)) => Ok(*payout),
        Some(_) => Err(bad_request("payout must be true or false")),
    }
}

fn advance_secs(raw: RawBody) -> Result<Duration, Failure> {
    let body = json_object(raw)?;
    let value = body
        .get("advance_secs")
        .ok_or_else(|| bad_request("Missing required field: advance_secs"))?;
    value
        .as_u64()
        .filter(|secs| (1..=MAX_ADVANCE_SECS).contains(secs))
        .map(Duration::from_secs)
        .ok_or_else(|| {
            bad_request(format!(
                "advance_secs must be a whole number of seconds from 1 to {MAX_ADVANCE_SECS} (30 days)"
            ))
        })
}

fn answer_order(app: &App, store: &Store, order_id: &str) -> Reply {
    app.commit(store)?;
    let order = store.order(order_id).ok_or_else(reply::internal)?;
    reply::ok(StatusCode::OK, store.order_view(order))
}

/// What the real server's status update to `completed` records, each time it is made:
/// `completed_at` now, and one more `completed_orders` on the service.
fn record_completion(store: &mut Store, order_id: &str) {
    let Some(order) = store.order_mut(order_id) else {
        return;
    };
    order.status = "completed".to_owned();
    order.completed_at = Some(ids::timestamp_now());
    let service_id = order.service_id.clone();
    if let Some(service) = store.service_mut(&service_id) {
        service.completed_orders += 1;
    }
}

/// The client approves a delivered order, as the real `approve` action does: the order is
/// `completed`, then the quoted price (if above 0) is sent to the provider's payout wallet,
/// or owner wallet if none. A transfer that goes through is recorded by a second status
/// update, which sets `completed_at` again and counts the completion on the service a
/// second time, as the real server does. One that fails (`payout` false) or has nowhere
/// to go leaves `payout_tx_hash` null.
fn approve(store: &mut Store, order_id: &str, payout: bool) -> Result<(), Failure> {
    let order = store.order(order_id).ok_or_else(order_not_found)?;
    if order.status != "delivered" {
        return Err(bad_request(format!(
            "Cannot complete order with status \"{}\". Must be \"delivered\".",
            order.status
        )));
    }
    let price = js::parse_float(order.quoted_price_usd.as_deref().unwrap_or("0"));
    let destination = store.agent(&order.provider_agent_id).and_then(|agent| {
        [&agent.payout_wallet, &agent.owner_wallet]
            .into_iter()
            .flatten()
            .find(|wallet| !wallet.is_empty())
    });
    let transfer = payout && price > 0.0 && destination.is_some();
    record_completion(store, order_id);
    if transfer {
        if let Some(order) = store.order_mut(order_id) {
            order.payout_tx_hash = Some(ids::new_tx_signature());
        }
        record_completion(store, order_id);
    }
    Ok(())
}

/// `POST /sandbox/orders/{id}/complete`, with an optional `{"payout": false}`.
pub fn complete(app: &App, order_id: &str, raw: RawBody) -> Reply {
    let payout = payout_wanted(raw)?;
    let mut store = app.lock();
    approve(&mut store, order_id, payout)?;
    answer_order(app, &store, order_id)
}

/// `POST /sandbox/orders/{id}/dispute`: from any status the real server allows.
pub fn dispute(app: &App, order_id: &str) -> Reply {
    let mut store = app.lock();
    let order = store.order_mut(order_id).ok_or_else(order_not_found)?;
    if !DISPUTABLE.contains(&order.status.as_str()) {
        return Err(bad_request(format!(
            "Cannot \"dispute\" an order with status \"{}\". Allowed from: {}",
            order.status,
            DISPUTABLE.join(", ")
        )));
    }
    order.status = "disputed".to_owned();
    answer_order(app, &store, order_id)
}

/// The client lets the review window lapse: the whole marketplace's clock jumps just
/// past the order's `review_deadline` (not at all if it has passed already), then the
/// order is auto-completed as the platform's guide says it is (the real server has no job
/// that does it). The jump, in seconds, is returned.
fn lapse_review(store: &mut Store, order_id: &str, payout: bool) -> Result<u64, Failure> {
    let order = store.order(order_id).ok_or_else(order_not_found)?;
    if order.status != "delivered" {
        return Err(bad_request(format!(
            "Cannot lapse the review of an order with status \"{}\". Must be \"delivered\".",
            order.status
        )));
    }
    let left = order.review_deadline.as_deref().and_then(ids::secs_until);
    let jump = left.map_or(0, |secs| u64::try_from(secs + 1).unwrap_or(0));
    if jump > 0 {
        store.move_clock(Duration::from_secs(jump));
    }
    approve(store, order_id, payout)?;
    Ok(jump)
}

/// `POST /sandbox/orders/{id}/lapse`, with an optional `{"payout": false}`.
pub fn lapse(app: &App, order_id: &str, raw: RawBody) -> Reply {
    let payout = payout_wanted(raw)?;
    let mut store = app.lock();
    lapse_review(&mut store, order_id, payout)?;
    answer_order(app, &store, order_id)
}

/// Moves the practice clock `by` forward and returns the delivered orders whose review
/// window lapsed in the jump. Nothing else happens to them: the real server has no job
/// that acts on a lapsed review window, so they stay `delivered`.
fn advance_clock(store: &mut Store, by: Duration) -> Vec<String> {
    let by_secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
    let lapsed = store
        .orders
        .iter()
        .filter(|o| o.status == "delivered")
        .filter(|o| {
            o.review_deadline
                .as_deref()
                .and_then(ids::secs_until)
                .is_some_and(|left| (0..by_secs).contains(&left))
        })
        .map(|o| o.id.clone())
        .collect();
    store.move_clock(by);
    lapsed
}

/// What `POST /sandbox/clock` answers.
#[derive(Serialize)]
struct ClockJump<'a> {
    advanced_secs: u64,
    /// Delivered orders whose review deadline passed in this jump.
    lapsed_reviews: Vec<String>,
    /// Every order, newest first, with its times moved.
    orders: Vec<OrderView<'a>>,
}

/// `POST /sandbox/clock` with `{"advance_secs": N}`.
pub fn clock(app: &App, raw: RawBody) -> Reply {
    let by = advance_secs(raw)?;
    let mut store = app.lock();
    let lapsed_reviews = advance_clock(&mut store, by);
    app.commit(&store)?;
    reply::ok(
        StatusCode::OK,
        ClockJump {
            advanced_secs: by.as_secs(),
            lapsed_reviews,
            orders: store.all_orders(),
        },
    )
}

/// `POST /sandbox/orders/{id}/age` with `{"advance_secs": N}`: only this order's times
/// move, whatever its status; nothing else happens.
pub fn age(app: &App, order_id: &str, raw: RawBody) -> Reply {
    let by = advance_secs(raw)?;
    let mut store = app.lock();
    store
        .order_mut(order_id)
        .ok_or_else(order_not_found)?
        .move_earlier(by);
    answer_order(app, &store, order_id)
}

#[cfg(test)]
mod tests {
    use axum::body::Bytes;

    use super::*;
    use crate::sandbox::rows::{Agent, Service};
    use crate::sandbox::SandboxConfig;

    const WALLET: &str = "EZkoXXZ5HEWdKwfv7wua7k6Dqv8aQxxHWNakq2gG2Qpb";
    const HOUR: Duration = Duration::from_secs(3600);

    fn body(text: &'static str) -> RawBody {
        Ok(Bytes::from_static(text.as_bytes()))
    }

    fn agent(owner_wallet: Option<&str>) -> Agent {
        Agent {
            id: "ext_1_seller".into(),
            name: "Neon Avatars".into(),
            description: None,
            avatar_url: None,
            bio: None,
            source: "external".into(),
            endpoint_url: None,
            capabilities: None,
            api_key: None,
            verified: 0,
            blue_check: 0,
            is_atelier_official: 0,
            active: 1,
            total_orders: 0,
            completed_orders: 0,
            avg_rating: None,
            twitter_username: None,
            bankr_wallet: None,
            owner_wallet: owner_wallet.map(str::to_owned),
            token_mint: None,
            token_name: None,
            token_symbol: None,
            token_image_url: None,
            token_mode: None,
            token_creator_wallet: None,
            token_tx_hash: None,
            token_created_at: None,
            payout_wallet: None,
            created_at: "2025-02-01 09:00:00".into(),
        }
    }

    fn service() -> Service {
        Service {
            id: "svc_1_avatars".into(),
            agent_id: "ext_1_seller".into(),
            category: "image_gen".into(),
            title: "Avatars".into(),
            description: "Professional avatars".into(),
            price_usd: "5.00".into(),
            price_type: "fixed".into(),
            turnaround_hours: Value::from(24),
            deliverables: None,
            portfolio_post_ids: None,
            demo_url: None,
            active: 1,
            total_orders: 0,
            completed_orders: 0,
            avg_rating: None,
            provider_key: None,
            provider_model: None,
            system_prompt: None,
            quota_limit: 0,
            created_at: "2025-02-01 09:00:00".into(),
        }
    }

    fn order(id: &str, status: &str) -> Order {
        let delivered = status == "delivered";
        Order {
            id: id.into(),
            service_id: "svc_1_avatars".into(),
            client_agent_id: None,
            client_wallet: Some(WALLET.into()),
            provider_agent_id: "ext_1_seller".into(),
            brief: "A neon avatar for my stream".into(),
            reference_urls: None,
            quoted_price_usd: Some("5.00".into()),
            platform_fee_usd: Some("0.50".into()),
            payment_method: Some("usdc-sol".into()),
            status: status.into(),
            escrow_tx_hash: None,
            payout_tx_hash: None,
            deliverable_post_id: None,
            deliverable_url: None,
            deliverable_media_type: None,
            quota_total: 0,
            quota_used: 0,
            workspace_expires_at: None,
            delivered_at: delivered.then(ids::timestamp_now),
            review_deadline: delivered.then(|| ids::timestamp_in(48 * HOUR)),
            completed_at: None,
            created_at: ids::timestamp_now(),
        }
    }

    fn market(owner_wallet: Option<&str>, orders: Vec<Order>) -> Store {
        Store {
            agents: vec![agent(owner_wallet)],
            services: vec![service()],
            orders,
        }
    }

    fn app_with(store: Store) -> App {
        let app = App::open(SandboxConfig {
            rate_limits: None,
            data_file: None,
        })
        .unwrap();
        *app.lock() = store;
        app
    }

    fn status_of(app: &App, id: &str) -> String {
        app.lock().order(id).unwrap().status.clone()
    }

    #[test]
    fn approving_completes_the_order_and_pays_out_with_a_64_byte_signature() {
        let mut store = market(Some(WALLET), vec![order("ord_1", "delivered")]);
        approve(&mut store, "ord_1", true).unwrap();
        let done = store.order("ord_1").unwrap();
        assert_eq!(done.status, "completed");
        let since = done.completed_at.as_deref().and_then(ids::secs_until);
        assert!(since.is_some_and(|s| (-1..=0).contains(&s)), "{since:?}");
        let hash = done
            .payout_tx_hash
            .as_deref()
            .expect("a payout transaction");
        assert_eq!(bs58::decode(hash).into_vec().unwrap().len(), 64, "{hash}");
        assert_eq!(
            store.service("svc_1_avatars").unwrap().completed_orders,
            2,
            "the server's second update, recording the payout, counts it again"
        );
        assert_eq!(store.agent("ext_1_seller").unwrap().completed_orders, 0);
    }

    #[test]
    fn a_failed_transfer_still_completes_the_order_without_a_payout() {
        let mut store = market(Some(WALLET), vec![order("ord_1", "delivered")]);
        approve(&mut store, "ord_1", false).unwrap();
        let done = store.order("ord_1").unwrap();
        assert_eq!(done.status, "completed");
        assert!(done.completed_at.is_some());
        assert_eq!(done.payout_tx_hash, None);
        assert_eq!(store.service("svc_1_avatars").unwrap().completed_orders, 1);
    }

    #[test]
    fn no_wallet_or_a_zero_price_means_no_payout() {
        let mut store = market(None, vec![order("ord_1", "delivered")]);
        approve(&mut store, "ord_1", true).unwrap();
        assert_eq!(store.order("ord_1").unwrap().payout_tx_hash, None);

        let mut free = order("ord_2", "delivered");
        free.quoted_price_usd = Some("0".into());
        let mut store = market(Some(WALLET), vec![free]);
        approve(&mut store, "ord_2", true).unwrap();
        assert_eq!(store.order("ord_2").unwrap().payout_tx_hash, None);
        assert_eq!(store.order("ord_2").unwrap().status, "completed");

        let mut store = market(None, vec![order("ord_3", "delivered")]);
        store.agents[0].payout_wallet = Some(WALLET.into());
        approve(&mut store, "ord_3", true).unwrap();
        assert!(store.order("ord_3").unwrap().payout_tx_hash.is_some());
    }

    #[test]
    fn only_a_delivered_order_can_be_approved() {
        let mut store = market(Some(WALLET), vec![order("ord_1", "paid")]);
        assert_eq!(
            approve(&mut store, "ord_1", true),
            Err(bad_request(
                "Cannot complete order with status \"paid\". Must be \"delivered\"."
            ))
        );
        assert_eq!(store.order("ord_1").unwrap().status, "paid");
        assert_eq!(approve(&mut store, "ord_x", true), Err(order_not_found()));
    }

    #[test]
    fn a_dispute_opens_from_any_unfinished_status_and_from_no_finished_one() {
        let all = [
            "pending_quote",
            "quoted",
            "accepted",
            "paid",
            "in_progress",
            "delivered",
            "completed",
            "disputed",
            "cancelled",
        ];
        let app = app_with(market(
            Some(WALLET),
            all.iter().map(|s| order(s, s)).collect(),
        ));
        for status in all {
            let answer = dispute(&app, status);
            if DISPUTABLE.contains(&status) {
                assert!(answer.is_ok(), "{status}");
                assert_eq!(status_of(&app, status), "disputed");
            } else {
                assert_eq!(
                    answer.unwrap_err(),
                    bad_request(format!(
                        "Cannot \"dispute\" an order with status \"{status}\". Allowed from: \
                         pending_quote, quoted, accepted, paid, in_progress, delivered"
                    ))
                );
                assert_eq!(status_of(&app, status), status);
            }
        }
        assert_eq!(dispute(&app, "ord_x").unwrap_err(), order_not_found());
    }

    #[test]
    fn only_an_unpaid_order_can_be_cancelled() {
        let app = app_with(market(
            Some(WALLET),
            vec![order("ord_1", "quoted"), order("ord_2", "paid")],
        ));
        assert!(advance(&app, "ord_1", Step::Cancel).is_ok());
        assert_eq!(status_of(&app, "ord_1"), "cancelled");
        assert_eq!(
            advance(&app, "ord_2", Step::Cancel).unwrap_err(),
            bad_request("Cannot cancel order in status paid")
        );
    }

    #[test]
    fn the_clock_moves_every_stored_time_back_and_reports_lapsed_reviews() {
        let mut soon = order("ord_soon", "delivered");
        soon.review_deadline = Some(ids::timestamp_in(HOUR));
        let mut later = order("ord_later", "delivered");
        later.review_deadline = Some(ids::timestamp_in(3 * HOUR));
        let mut store = market(Some(WALLET), vec![soon, later, order("ord_paid", "paid")]);
        let before: Vec<Order> = store.orders.clone();

        let lapsed = advance_clock(&mut store, 2 * HOUR);
        assert_eq!(lapsed, ["ord_soon"]);
        for (was, now) in before.iter().zip(&store.orders) {
            let moved =
                |t: &Option<String>| t.as_deref().map(|t| ids::earlier(t, 2 * HOUR).unwrap());
            assert_eq!(
                now.created_at,
                moved(&Some(was.created_at.clone())).unwrap()
            );
            assert_eq!(now.delivered_at, moved(&was.delivered_at));
            assert_eq!(now.review_deadline, moved(&was.review_deadline));
            assert_eq!(
                now.status, was.status,
                "the real server has no job that acts"
            );
        }
        assert_eq!(store.agents[0].created_at, "2025-02-01 07:00:00");
        assert_eq!(store.services[0].created_at, "2025-02-01 07:00:00");
        let left = ids::secs_until(store.orders[0].review_deadline.as_deref().unwrap());
        assert!(left.is_some_and(|s| s < 0), "{left:?}");
        assert!(
            advance_clock(&mut store, HOUR).is_empty(),
            "lapsed once only"
        );
    }

    #[test]
    fn letting_the_review_lapse_jumps_just_past_the_deadline_then_auto_completes() {
        let mut delivered = order("ord_1", "delivered");
        delivered.review_deadline = Some(ids::timestamp_in(2 * HOUR));
        let paid = order("ord_2", "paid");
        let paid_created = paid.created_at.clone();
        let mut store = market(Some(WALLET), vec![delivered, paid]);

        let jump = lapse_review(&mut store, "ord_1", true).unwrap();
        assert!((7200..=7201).contains(&jump), "{jump}");
        let done = store.order("ord_1").unwrap();
        let left = ids::secs_until(done.review_deadline.as_deref().unwrap()).unwrap();
        assert!((-2..=-1).contains(&left), "just past: {left}");
        assert_eq!(done.status, "completed");
        assert!(done.payout_tx_hash.is_some());
        assert_eq!(
            store.order("ord_2").unwrap().created_at,
            ids::earlier(&paid_created, Duration::from_secs(jump)).unwrap(),
            "the whole marketplace's clock jumped"
        );

        // Already past: no jump, and the transfer may fail.
        let again = lapse_review(&mut store, "ord_1", true);
        assert_eq!(
            again,
            Err(bad_request(
                "Cannot lapse the review of an order with status \"completed\". Must be \"delivered\"."
            ))
        );
        let mut overdue = order("ord_3", "delivered");
        overdue.review_deadline = ids::earlier(&ids::timestamp_now(), HOUR);
        store.orders.push(overdue);
        assert_eq!(lapse_review(&mut store, "ord_3", false), Ok(0));
        assert_eq!(store.order("ord_3").unwrap().payout_tx_hash, None);
        assert_eq!(store.order("ord_3").unwrap().status, "completed");
        assert_eq!(
            lapse_review(&mut store, "ord_x", true),
            Err(order_not_found())
        );
    }

    #[test]
    fn the_payout_switch_is_optional_and_must_be_a_boolean() {
        assert_eq!(payout_wanted(body("")), Ok(true));
        assert_eq!(payout_wanted(body(" \n")), Ok(true));
        assert_eq!(payout_wanted(body("{}")), Ok(true));
        assert_eq!(payout_wanted(body(r#"{"payout": null}"#)), Ok(true));
        assert_eq!(payout_wanted(body(r#"{"payout": false}"#)), Ok(false));
        assert_eq!(payout_wanted(body(r#"{"payout": true}"#)), Ok(true));
        assert_eq!(
            payout_wanted(body(r#"{"payout": "no"}"#)),
            Err(bad_request("payout must be true or false"))
        );
        assert_eq!(
            payout_wanted(body("[]")),
            Err(bad_request("Request body must be a JSON object"))
        );
    }

    #[test]
    fn the_clock_moves_by_one_second_to_thirty_days() {
        let bounds = bad_request(
            "advance_secs must be a whole number of seconds from 1 to 2592000 (30 days)",
        );
        assert_eq!(
            advance_secs(body(r#"{"advance_secs": 1}"#)),
            Ok(Duration::from_secs(1))
        );
        assert_eq!(
            advance_secs(body(r#"{"advance_secs": 2592000}"#)),
            Ok(Duration::from_secs(2_592_000))
        );
        for bad in [
            r#"{"advance_secs": 0}"#,
            r#"{"advance_secs": 2592001}"#,
            r#"{"advance_secs": -60}"#,
            r#"{"advance_secs": 1.5}"#,
            r#"{"advance_secs": "60"}"#,
            r#"{"advance_secs": null}"#,
        ] {
            assert_eq!(advance_secs(body(bad)), Err(bounds.clone()), "{bad}");
        }
        assert_eq!(
            advance_secs(body("{}")),
            Err(bad_request("Missing required field: advance_secs"))
        );
        assert_eq!(
            advance_secs(body("")),
            Err(bad_request("Request body must be a JSON object"))
        );
    }

    #[test]
    fn aging_one_order_moves_only_its_times() {
        let app = app_with(market(
            Some(WALLET),
            vec![order("ord_1", "paid"), order("ord_2", "paid")],
        ));
        let before = app.lock().orders.clone();
        assert!(age(&app, "ord_1", body(r#"{"advance_secs": 3600}"#)).is_ok());
        let store = app.lock();
        assert_eq!(
            store.orders[0].created_at,
            ids::earlier(&before[0].created_at, HOUR).unwrap()
        );
        assert_eq!(store.orders[1].created_at, before[1].created_at);
        assert_eq!(store.agents[0].created_at, "2025-02-01 09:00:00");
        drop(store);
        assert_eq!(
            age(&app, "ord_x", body(r#"{"advance_secs": 3600}"#)).unwrap_err(),
            order_not_found()
        );
    }
}
