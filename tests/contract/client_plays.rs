//! In Practice mode the creator plays the client for the rest of an order's life: approve it
//! (the creator is paid, or the transfer fails), open a dispute, cancel an unpaid order, let
//! the review window lapse; and the practice clock jumps, so deadlines come without waiting
//! hours. All of it over real HTTP, through the session's own calls where it has them.

use std::sync::Arc;
use std::time::Duration;

use atelier_core::client::AtelierClient;
use atelier_core::error::ApiError;
use atelier_core::models::{Delivery, OrderStatus};
use atelier_core::sandbox::simulate::{ClientAction, Payment};
use atelier_core::sandbox::RateLimits;
use atelier_core::secrets::MemoryKeyring;
use atelier_core::session::{Session, SessionError, SessionPaths};
use atelier_core::settings::Mode;
use atelier_tests::*;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use time::PrimitiveDateTime;

const HOUR: u64 = 3600;
const BOUNDS: &str = "advance_secs must be a whole number of seconds from 1 to 2592000 (30 days)";

struct Practice {
    session: Session,
    me: AtelierClient,
    key: SecretString,
    agent_id: String,
    service_id: String,
    base: String,
    _dir: tempfile::TempDir,
}

async fn practising() -> Practice {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::open(
        SessionPaths {
            settings_file: dir.path().join("settings.json"),
            practice_data: dir.path().join("practice.json"),
        },
        Arc::new(MemoryKeyring::new()),
    )
    .await;
    session
        .choose_mode(Mode::Practice, None, false)
        .await
        .unwrap();
    let key = session
        .register(&agent_form("Neon Avatars"))
        .await
        .unwrap()
        .api_key;
    let (me, agent_id) = session.agent().await.unwrap();
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap();
    let base = session.practice_url().await.unwrap();
    Practice {
        session,
        me,
        key,
        agent_id,
        service_id: service.id,
        base,
        _dir: dir,
    }
}

impl Practice {
    async fn paid_order(&self) -> String {
        self.session
            .simulate_order_paying(
                None,
                Some("A neon fox avatar for my stream"),
                Payment::AtOnce,
            )
            .await
            .unwrap()
            .id
    }

    async fn delivered_order(&self) -> String {
        let id = self.paid_order().await;
        let delivery = Delivery {
            deliverable_url: "https://storage.example.com/fox.png".into(),
            deliverable_media_type: "image".into(),
        };
        self.me.deliver(&id, &delivery).await.unwrap();
        id
    }

    /// An order the client created and has not paid (`quoted`).
    async fn unpaid_order(&self) -> String {
        let (status, body) = self
            .post(
                "/sandbox/orders",
                Some(json!({ "service_id": self.service_id, "brief": "A neon fox, unpaid", "pay": false })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["data"]["id"].as_str().unwrap().to_owned()
    }

    /// The order's every field, from its public page.
    async fn row(&self, order_id: &str) -> Value {
        let body: Value = reqwest::get(format!("{}/orders/{order_id}", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["data"]["order"].clone()
    }

    /// The order as the rate-limited listing (`GET /agents/{id}/orders`) shows it, every
    /// field the server sends; the client's own listing must show it too.
    async fn listed(&self, order_id: &str) -> Value {
        let rows = self.me.orders(&self.agent_id, &[]).await.unwrap();
        assert!(
            rows.iter().any(|o| o.id == order_id),
            "listed through the client"
        );
        let (status, body) = self
            .get_authed(&format!("/agents/{}/orders", self.agent_id))
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == order_id)
            .cloned()
            .expect("the order is listed")
    }

    async fn get_authed(&self, path: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(self.key.expose_secret())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn post(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = reqwest::Client::new().post(format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

fn time_of(value: &Value) -> PrimitiveDateTime {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(value.as_str().expect("a timestamp"), format).expect("SQLite style")
}

fn now() -> PrimitiveDateTime {
    let now = time::OffsetDateTime::now_utc();
    PrimitiveDateTime::new(now.date(), now.time())
}

fn is_signature(value: &Value) -> bool {
    value
        .as_str()
        .and_then(|s| bs58::decode(s).into_vec().ok())
        .is_some_and(|bytes| bytes.len() == 64)
}

fn refused(result: Result<impl std::fmt::Debug, SessionError>) -> String {
    match result {
        Err(SessionError::Api(ApiError::Rejected { message, .. })) => message,
        other => panic!("expected a 400 refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn approving_a_delivery_completes_it_and_pays_the_creator_with_a_64_byte_signature() {
    let p = practising().await;
    let order_id = p.delivered_order().await;

    let order = p
        .session
        .play_client(&order_id, ClientAction::Approve)
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Completed);

    let row = p.row(&order_id).await;
    assert_eq!(row["status"], "completed");
    assert!(
        is_signature(&row["payout_tx_hash"]),
        "a Solana signature: {}",
        row["payout_tx_hash"]
    );
    let completed_at = time_of(&row["completed_at"]);
    assert!(
        (now() - completed_at).whole_seconds().abs() <= 2,
        "{completed_at}"
    );

    let listed = p.listed(&order_id).await;
    assert_eq!(listed["status"], "completed");
    assert_eq!(listed["payout_tx_hash"], row["payout_tx_hash"]);
    assert_eq!(listed["completed_at"], row["completed_at"]);

    let (_, services) = p
        .get_authed(&format!("/agents/{}/services", p.agent_id))
        .await;
    assert_eq!(
        services["data"][0]["completed_orders"], 2,
        "the real server counts a paid-out completion twice (its second status update)"
    );
}

#[tokio::test]
async fn approving_when_the_transfer_fails_completes_it_with_no_payout_hash() {
    let p = practising().await;
    let order_id = p.delivered_order().await;

    let order = p
        .session
        .play_client(&order_id, ClientAction::ApproveWithoutPayout)
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Completed);

    let listed = p.listed(&order_id).await;
    assert_eq!(listed["status"], "completed");
    assert!(listed["completed_at"].is_string());
    assert_eq!(listed["payout_tx_hash"], Value::Null);
    let (_, services) = p
        .get_authed(&format!("/agents/{}/services", p.agent_id))
        .await;
    assert_eq!(services["data"][0]["completed_orders"], 1);
}

#[tokio::test]
async fn completing_still_accepts_an_empty_body_and_refuses_a_payout_that_is_not_a_boolean() {
    let p = practising().await;
    let order_id = p.delivered_order().await;
    let path = format!("/sandbox/orders/{order_id}/complete");

    let (status, body) = p.post(&path, Some(json!({ "payout": "no" }))).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("payout must be true or false"))
    );
    let (status, body) = p.post(&path, Some(json!([]))).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("Request body must be a JSON object"))
    );
    assert_eq!(
        p.row(&order_id).await["status"],
        "delivered",
        "nothing happened"
    );

    let (status, body) = p.post(&path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "completed");
    assert!(is_signature(&body["data"]["payout_tx_hash"]));
}

#[tokio::test]
async fn only_a_delivered_order_can_be_approved() {
    let p = practising().await;
    let order_id = p.paid_order().await;
    let message = refused(
        p.session
            .play_client(&order_id, ClientAction::Approve)
            .await,
    );
    assert_eq!(
        message,
        "Cannot complete order with status \"paid\". Must be \"delivered\"."
    );
    let missing = p
        .session
        .play_client("ord_0_missing", ClientAction::Approve)
        .await;
    assert!(
        matches!(&missing, Err(SessionError::Api(ApiError::NotFound { server_message })) if server_message == "Order not found"),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_dispute_opens_from_a_paid_or_delivered_order_but_not_once_it_is_completed() {
    let p = practising().await;
    let paid = p.paid_order().await;
    let delivered = p.delivered_order().await;

    for order_id in [&paid, &delivered] {
        let order = p
            .session
            .play_client(order_id, ClientAction::Dispute)
            .await
            .unwrap();
        assert_eq!(order.status, OrderStatus::Disputed);
        assert_eq!(p.listed(order_id).await["status"], "disputed");
    }
    assert_eq!(
        p.row(&delivered).await["review_deadline"],
        p.listed(&delivered).await["review_deadline"],
        "a dispute keeps the delivery's times"
    );

    let completed = p.delivered_order().await;
    p.session
        .play_client(&completed, ClientAction::Approve)
        .await
        .unwrap();
    let message = refused(
        p.session
            .play_client(&completed, ClientAction::Dispute)
            .await,
    );
    assert_eq!(
        message,
        "Cannot \"dispute\" an order with status \"completed\". Allowed from: pending_quote, \
         quoted, accepted, paid, in_progress, delivered"
    );
    let message = refused(p.session.play_client(&paid, ClientAction::Dispute).await);
    assert!(message.contains("with status \"disputed\""), "{message}");
}

#[tokio::test]
async fn only_an_unpaid_order_can_be_cancelled() {
    let p = practising().await;
    let unpaid = p.unpaid_order().await;
    let order = p
        .session
        .play_client(&unpaid, ClientAction::Cancel)
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Cancelled);
    assert_eq!(p.listed(&unpaid).await["status"], "cancelled");

    let paid = p.paid_order().await;
    let message = refused(p.session.play_client(&paid, ClientAction::Cancel).await);
    assert_eq!(message, "Cannot cancel order in status paid");

    let later = p.unpaid_order().await;
    let order = p
        .session
        .play_client(&later, ClientAction::Pay)
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
}

#[tokio::test]
async fn the_clock_jump_lets_a_delivered_orders_review_window_lapse_and_nothing_else_happens() {
    let p = practising().await;
    let order_id = p.delivered_order().await;
    let before = p.row(&order_id).await;

    let jump = p.session.advance_clock(49 * HOUR).await.unwrap();
    assert_eq!(jump.advanced_secs, 49 * HOUR);
    assert_eq!(jump.lapsed_reviews.as_slice(), [order_id.as_str()]);
    assert_eq!(jump.orders.len(), 1);
    assert_eq!(jump.orders[0].id, order_id);

    let after = p.listed(&order_id).await;
    assert_eq!(
        after["status"], "delivered",
        "the real server has no job that completes it"
    );
    assert_eq!(after["payout_tx_hash"], Value::Null);
    let deadline = time_of(&after["review_deadline"]);
    assert!(deadline < now(), "the review window has lapsed: {deadline}");
    assert_eq!(
        (time_of(&before["review_deadline"]) - deadline).whole_seconds(),
        i64::try_from(49 * HOUR).unwrap()
    );
    assert!(
        p.session
            .advance_clock(HOUR)
            .await
            .unwrap()
            .lapsed_reviews
            .is_empty(),
        "a window lapses once"
    );

    // The client may still approve afterwards: the real server checks only the status.
    let order = p
        .session
        .play_client(&order_id, ClientAction::Approve)
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Completed);
}

#[tokio::test]
async fn letting_the_review_lapse_jumps_the_clock_past_the_deadline_and_auto_completes_with_payout()
{
    let p = practising().await;
    let waiting = p.paid_order().await;
    let order_id = p.delivered_order().await;
    let waiting_before = time_of(&p.row(&waiting).await["created_at"]);

    let order = p
        .session
        .play_client(&order_id, ClientAction::LapseReview)
        .await
        .unwrap();
    assert_eq!(order.status, OrderStatus::Completed);

    let row = p.listed(&order_id).await;
    assert_eq!(row["status"], "completed");
    assert!(is_signature(&row["payout_tx_hash"]));
    let past = (now() - time_of(&row["review_deadline"])).whole_seconds();
    assert!((1..=3).contains(&past), "just past the deadline: {past} s");

    let aged = (waiting_before - time_of(&p.row(&waiting).await["created_at"])).whole_seconds();
    assert!(
        (47 * 3600..=48 * 3600 + 1).contains(&aged),
        "every order aged with the jump: {aged} s"
    );
    let message = refused(
        p.session
            .play_client(&waiting, ClientAction::LapseReview)
            .await,
    );
    assert_eq!(
        message,
        "Cannot lapse the review of an order with status \"paid\". Must be \"delivered\"."
    );
}

#[tokio::test]
async fn the_clock_jump_makes_a_paid_orders_created_at_older_by_exactly_n() {
    let p = practising().await;
    let order_id = p.paid_order().await;
    let before = time_of(&p.row(&order_id).await["created_at"]);

    let jump = p.session.advance_clock(5 * HOUR + 7).await.unwrap();
    assert!(jump.lapsed_reviews.is_empty());
    let listed = p.listed(&order_id).await;
    assert_eq!(listed["status"], "paid");
    assert_eq!(
        (before - time_of(&listed["created_at"])).whole_seconds(),
        5 * 3600 + 7
    );
    assert_eq!(
        jump.orders[0].created_at,
        p.me.order(&order_id).await.unwrap().order.created_at,
        "the answer shows the moved order"
    );
}

#[tokio::test]
async fn aging_one_order_makes_it_late_and_leaves_the_others_alone() {
    let p = practising().await;
    let late = p.paid_order().await;
    let other = p.paid_order().await;
    let (late_before, other_before) = (p.row(&late).await, p.row(&other).await);

    let order = p.session.age_order(&late, 25 * HOUR).await.unwrap();
    assert_eq!(order.id, late);
    assert_eq!(
        (time_of(&late_before["created_at"]) - time_of(&p.row(&late).await["created_at"]))
            .whole_seconds(),
        25 * 3600,
        "older than its 24 h turnaround: late"
    );
    assert_eq!(
        p.row(&other).await["created_at"],
        other_before["created_at"]
    );
}

#[tokio::test]
async fn clock_jumps_outside_one_second_to_thirty_days_are_refused_with_400() {
    let p = practising().await;
    let order_id = p.paid_order().await;
    let before = p.row(&order_id).await;

    for secs in [0, 30 * 24 * 3600 + 1] {
        assert_eq!(
            refused(p.session.advance_clock(secs).await),
            BOUNDS,
            "{secs}"
        );
        assert_eq!(refused(p.session.age_order(&order_id, secs).await), BOUNDS);
    }
    for body in [
        json!({ "advance_secs": -5 }),
        json!({ "advance_secs": 1.5 }),
        json!({ "advance_secs": "60" }),
    ] {
        let (status, answer) = p.post("/sandbox/clock", Some(body)).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some(BOUNDS)));
    }
    let (status, answer) = p.post("/sandbox/clock", Some(json!({}))).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("Missing required field: advance_secs"))
    );
    let (status, answer) = p.post("/sandbox/clock", None).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("Request body must be a JSON object"))
    );
    assert_eq!(p.row(&order_id).await, before, "nothing moved");

    let (status, answer) = p
        .post(
            "/sandbox/orders/ord_0_missing/age",
            Some(json!({ "advance_secs": 60 })),
        )
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("Order not found"))
    );
    let (status, answer) = p.post("/sandbox/orders/ord_0_missing/lapse", None).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("Order not found"))
    );

    let jump = p.session.advance_clock(30 * 24 * 3600).await.unwrap();
    assert_eq!(jump.advanced_secs, 30 * 24 * 3600, "30 days is allowed");
}

#[tokio::test]
async fn playing_the_client_and_moving_the_clock_cost_nothing_of_the_rate_limit() {
    let sandbox = strict_sandbox(RateLimits {
        register: 5,
        service_create: 20,
        orders: 6,
        window: Duration::from_secs(3600),
    })
    .await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await; // 1
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap(); // 2
    let place = |pay: bool| {
        let (sandbox, service_id) = (&sandbox, service.id.clone());
        async move {
            let body = json!({ "service_id": service_id, "brief": "A neon avatar for my stream", "pay": pay });
            let (status, _, answer) = raw(
                sandbox,
                reqwest::Method::POST,
                "/sandbox/orders",
                None,
                Some(body),
            )
            .await;
            assert_eq!(status, 201);
            serde_json::from_slice::<Value>(&answer).unwrap()["data"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let control = |path: String, body: Option<Value>| {
        let sandbox = &sandbox;
        async move {
            let (status, _, answer) = raw(sandbox, reqwest::Method::POST, &path, None, body).await;
            assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&answer));
        }
    };
    let delivery = Delivery {
        deliverable_url: "https://storage.example.com/fox.png".into(),
        deliverable_media_type: "image".into(),
    };
    let (approved, lapsed) = (place(true).await, place(true).await);
    me.deliver(&approved, &delivery).await.unwrap(); // 3
    me.deliver(&lapsed, &delivery).await.unwrap(); // 4
    let (disputed, cancelled, paid) = (place(true).await, place(false).await, place(false).await);

    for _ in 0..10 {
        control("/sandbox/clock".into(), Some(json!({ "advance_secs": 60 }))).await;
        control(
            format!("/sandbox/orders/{paid}/age"),
            Some(json!({ "advance_secs": 60 })),
        )
        .await;
    }
    control(format!("/sandbox/orders/{approved}/complete"), None).await;
    control(format!("/sandbox/orders/{lapsed}/lapse"), None).await;
    control(format!("/sandbox/orders/{disputed}/dispute"), None).await;
    control(format!("/sandbox/orders/{cancelled}/cancel"), None).await;
    control(format!("/sandbox/orders/{paid}/pay"), None).await;

    let mut listings = 0;
    let refused = loop {
        match me.orders(&agent_id, &[]).await {
            Ok(_) => listings += 1,
            Err(e) => break e,
        }
        assert!(listings <= 6, "the limit never came");
    };
    assert_eq!(
        listings, 2,
        "6 limited calls, 4 of them spent on setting up"
    );
    assert!(
        matches!(refused, ApiError::RateLimited { .. }),
        "{refused:?}"
    );
}

#[tokio::test]
async fn in_live_mode_there_is_no_client_to_play_and_no_clock_to_move() {
    let market = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let session = Session::open(
        SessionPaths {
            settings_file: dir.path().join("settings.json"),
            practice_data: dir.path().join("practice.json"),
        },
        Arc::new(MemoryKeyring::new()),
    )
    .await;
    session
        .choose_mode(Mode::Live, Some(&market.base_url()), false)
        .await
        .unwrap();
    let (service_owner, owner_id) = creator(&market, "Bob Banners").await;
    let service = service_owner
        .create_service(&owner_id, &service_form("Banners", "5"))
        .await
        .unwrap();
    let order_id = client_orders(&market, &service.id, "A banner for my bakery").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let err = session
        .play_client(&order_id, ClientAction::Dispute)
        .await
        .unwrap_err();
    assert!(matches!(err, SessionError::NotPractice), "{err:?}");
    assert_eq!(
        err.to_string(),
        "Pretend orders exist only in Practice mode."
    );
    assert!(matches!(
        session.advance_clock(HOUR).await,
        Err(SessionError::NotPractice)
    ));
    assert!(matches!(
        session.age_order(&order_id, HOUR).await,
        Err(SessionError::NotPractice)
    ));
    assert_eq!(
        service_owner.order(&order_id).await.unwrap().order.status,
        OrderStatus::Paid,
        "nothing reached the real marketplace"
    );
}
