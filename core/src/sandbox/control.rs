//! Sandbox-only endpoints that play the buyer: create an order (already paid, or
//! unpaid as the real checkout leaves it), pay or cancel it, then accept or dispute
//! the delivery. The real platform does this through `POST /orders` and
//! wallet-signed `PATCH /orders/{id}` calls that a provider's tools never make, so
//! they are simplified here, and they answer malformed bodies with a 400 rather
//! than a 500.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::app::App;
use super::reply::{self, bad_request, Failure, RawBody, Reply};
use super::rows::Order;
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

/// What the buyer does with a delivered order.
#[derive(Debug, Clone, Copy)]
pub enum Verdict {
    Complete,
    Dispute,
}

pub fn settle(app: &App, order_id: &str, verdict: Verdict) -> Reply {
    let mut store = app.lock();
    let order = store
        .order_mut(order_id)
        .ok_or_else(|| reply::error(StatusCode::NOT_FOUND, "Order not found"))?;
    let (verb, status) = match verdict {
        Verdict::Complete => ("complete", "completed"),
        Verdict::Dispute => ("dispute", "disputed"),
    };
    if order.status != "delivered" {
        return Err(bad_request(format!(
            "Cannot {verb} order with status \"{}\". Must be \"delivered\".",
            order.status
        )));
    }
    order.status = status.to_owned();
    let service_id = order.service_id.clone();
    if let Verdict::Complete = verdict {
        order.completed_at = Some(ids::timestamp_now());
        if let Some(service) = store.service_mut(&service_id) {
            service.completed_orders += 1;
        }
    }
    app.commit(&store)?;
    let order = store.order(order_id).ok_or_else(reply::internal)?;
    reply::ok(StatusCode::OK, store.order_view(order))
}
