//! A client orders in two steps, as on the real server: the order is created (`quoted` for
//! a fixed price, `pending_quote` otherwise), then paid. Before it is paid the creator's
//! order list does not show it as work to do, but two calls that cost nothing of the rate
//! limit already do: the service's `total_orders`, and the public order page.

use std::time::Duration;

use atelier_core::error::ApiError;
use atelier_core::models::{Delivery, NewService, OrderStatus};
use atelier_core::sandbox::{RateLimits, Sandbox};
use atelier_tests::*;
use secrecy::SecretString;
use serde_json::{json, Value};

/// Plays a client who creates an order and has not paid yet.
async fn client_creates(sandbox: &Sandbox, service_id: &str, brief: &str) -> Value {
    let (status, _, body) = raw(
        sandbox,
        reqwest::Method::POST,
        "/sandbox/orders",
        None,
        Some(json!({ "service_id": service_id, "brief": brief, "pay": false })),
    )
    .await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 201, "the sandbox creates the order: {body}");
    body["data"].clone()
}

/// Plays the same client paying: the status and the whole answer.
async fn client_pays(sandbox: &Sandbox, order_id: &str) -> (u16, Value) {
    let (status, _, body) = raw(
        sandbox,
        reqwest::Method::POST,
        &format!("/sandbox/orders/{order_id}/pay"),
        None,
        None,
    )
    .await;
    (status, serde_json::from_slice(&body).unwrap())
}

async fn client_cancels(sandbox: &Sandbox, order_id: &str) -> (u16, Value) {
    let (status, _, body) = raw(
        sandbox,
        reqwest::Method::POST,
        &format!("/sandbox/orders/{order_id}/cancel"),
        None,
        None,
    )
    .await;
    (status, serde_json::from_slice(&body).unwrap())
}

fn quote_form(title: &str) -> NewService {
    NewService {
        price_type: "quote".into(),
        ..service_form(title, "40")
    }
}

#[tokio::test]
async fn the_creator_follows_an_order_from_quoted_to_paid_on_its_public_page() {
    let sandbox = sandbox().await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap();

    let created = client_creates(
        &sandbox,
        &service.id,
        "A cyberpunk avatar with neon accents",
    )
    .await;
    assert_eq!(created["status"], "quoted");
    assert_eq!(created["quoted_price_usd"], "5.00");
    assert_eq!(
        created["platform_fee_usd"], "0.50",
        "10 % on top, for the platform"
    );
    assert_eq!(created["escrow_tx_hash"], Value::Null, "nothing paid yet");
    let order_id = created["id"].as_str().unwrap().to_owned();

    let seen = me.order(&order_id).await.unwrap();
    assert_eq!(seen.order.id, order_id);
    assert_eq!(seen.order.status, OrderStatus::Quoted);
    assert_eq!(seen.order.brief, "A cyberpunk avatar with neon accents");
    assert_eq!(seen.order.quoted_price_usd.unwrap().as_str(), "5.00");
    assert_eq!(
        seen.order.service_title.as_deref(),
        Some("Custom Avatar Generation")
    );
    assert!(seen.review.is_none());
    assert!(seen.deliverables.is_empty());
    assert!(
        me.orders(&agent_id, &[OrderStatus::Paid, OrderStatus::InProgress])
            .await
            .unwrap()
            .is_empty(),
        "not work to do until it is paid"
    );

    let (status, paid) = client_pays(&sandbox, &order_id).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["data"]["status"], "paid");
    assert_eq!(paid["data"]["payment_method"], "usdc-sol");
    assert!(paid["data"]["escrow_tx_hash"].is_string());
    assert_eq!(
        me.order(&order_id).await.unwrap().order.status,
        OrderStatus::Paid
    );
    let waiting = me.orders(&agent_id, &[OrderStatus::Paid]).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].id, order_id);

    let delivery = Delivery {
        deliverable_url: "https://storage.example.com/result.png".into(),
        deliverable_media_type: "image".into(),
    };
    me.deliver(&order_id, &delivery).await.unwrap();
    let delivered = me.order(&order_id).await.unwrap().order;
    assert_eq!(delivered.status, OrderStatus::Delivered);
    assert_eq!(
        delivered.deliverable_url.as_deref(),
        Some("https://storage.example.com/result.png")
    );
    assert!(delivered.review_deadline.is_some());

    let (status, _, _) = raw(
        &sandbox,
        reqwest::Method::POST,
        &format!("/sandbox/orders/{order_id}/complete"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let completed = me.order(&order_id).await.unwrap();
    assert_eq!(completed.order.status, OrderStatus::Completed);
    assert!(completed.review.is_none(), "the client left no review");
}

#[tokio::test]
async fn a_services_order_count_grows_when_the_order_is_created_before_it_is_paid() {
    let sandbox = sandbox().await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap();
    assert_eq!(service.total_orders, Some(0));
    let count = || async {
        me.services(&agent_id).await.unwrap()[0]
            .total_orders
            .expect("the server sends the count")
    };

    let created = client_creates(&sandbox, &service.id, "A neon avatar for my stream").await;
    assert_eq!(count().await, 1, "counted at creation");
    assert_eq!(created["status"], "quoted");

    client_pays(&sandbox, created["id"].as_str().unwrap()).await;
    assert_eq!(count().await, 1, "paying does not count it again");

    client_orders(&sandbox, &service.id, "Another neon avatar, paid at once").await;
    assert_eq!(count().await, 2, "an order placed already paid counts too");

    let (status, _) = client_cancels(&sandbox, created["id"].as_str().unwrap()).await;
    assert_eq!(status, 400, "a paid order cannot be cancelled");
    let unpaid = client_creates(&sandbox, &service.id, "One more, never to be paid").await;
    let (status, cancelled) = client_cancels(&sandbox, unpaid["id"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["data"]["status"], "cancelled");
    assert_eq!(count().await, 3, "a cancelled order still counts");
}

#[tokio::test]
async fn an_order_on_a_price_on_request_service_waits_for_a_quote_and_cannot_be_paid() {
    let sandbox = sandbox().await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;
    let service = me
        .create_service(&agent_id, &quote_form("Brand campaign on request"))
        .await
        .unwrap();

    let created = client_creates(&sandbox, &service.id, "A full brand campaign for a bakery").await;
    assert_eq!(created["status"], "pending_quote");
    assert_eq!(created["quoted_price_usd"], Value::Null);
    assert_eq!(created["platform_fee_usd"], Value::Null);
    let order_id = created["id"].as_str().unwrap();
    let seen = me.order(order_id).await.unwrap().order;
    assert_eq!(seen.status, OrderStatus::PendingQuote);
    assert_eq!(seen.quoted_price_usd, None);
    assert_eq!(
        me.services(&agent_id).await.unwrap()[0].total_orders,
        Some(1)
    );

    let (status, refused) = client_pays(&sandbox, order_id).await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"], "Cannot pay order in status pending_quote");
    let (status, cancelled) = client_cancels(&sandbox, order_id).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(
        me.order(order_id).await.unwrap().order.status,
        OrderStatus::Cancelled
    );
    let (status, refused) = client_cancels(&sandbox, order_id).await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"], "Cannot cancel order in status cancelled");
}

#[tokio::test]
async fn paying_follows_the_servers_rules_for_each_status() {
    let sandbox = sandbox().await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap();

    let (status, missing) = client_pays(&sandbox, "ord_0_missing").await;
    assert_eq!(
        (status, missing["error"].as_str()),
        (404, Some("Order not found"))
    );
    let (status, missing) = client_cancels(&sandbox, "ord_0_missing").await;
    assert_eq!(
        (status, missing["error"].as_str()),
        (404, Some("Order not found"))
    );

    // The real server lets a paid order be paid again (it checks a new transfer): still paid.
    let paid = client_orders(&sandbox, &service.id, "A neon avatar for my stream").await;
    let order_id = paid["id"].as_str().unwrap();
    let (status, again) = client_pays(&sandbox, order_id).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["data"]["status"], "paid");

    let delivery = Delivery {
        deliverable_url: "https://storage.example.com/result.png".into(),
        deliverable_media_type: "image".into(),
    };
    me.deliver(order_id, &delivery).await.unwrap();
    let (status, refused) = client_pays(&sandbox, order_id).await;
    assert_eq!(status, 400);
    assert_eq!(refused["success"], false);
    assert_eq!(refused["error"], "Cannot pay order in status delivered");
    assert_eq!(
        me.order(order_id).await.unwrap().order.status,
        OrderStatus::Delivered
    );

    let (status, _, body) = raw(
        &sandbox,
        reqwest::Method::POST,
        "/sandbox/orders",
        None,
        Some(json!({ "service_id": service.id, "brief": "A neon avatar", "pay": "no" })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_text(&body), "pay must be true or false");
}

#[tokio::test]
async fn an_unknown_order_is_not_found() {
    let sandbox = sandbox().await;
    let (me, _) = creator(&sandbox, "Neon Avatars").await;
    let err = me.order("ord_0_missing").await.unwrap_err();
    assert!(
        matches!(&err, ApiError::NotFound { server_message } if server_message == "Order not found"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_order_page_is_public_and_ignores_the_key() {
    let sandbox = sandbox().await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap();
    let order_id = client_creates(&sandbox, &service.id, "A neon avatar for my stream").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let anonymous = client(&sandbox);
    assert!(!anonymous.is_signed_in());
    assert_eq!(
        anonymous.order(&order_id).await.unwrap().order.status,
        OrderStatus::Quoted
    );
    let (other, _) = creator(&sandbox, "Bob Banners").await;
    assert_eq!(other.order(&order_id).await.unwrap().order.id, order_id);
    let unknown_key =
        client(&sandbox).signed_in(SecretString::from(format!("atelier_{}", "0".repeat(48))));
    assert_eq!(
        unknown_key.order(&order_id).await.unwrap().order.id,
        order_id
    );

    let (status, _, body) = raw(
        &sandbox,
        reqwest::Method::GET,
        &format!("/orders/{order_id}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["success"], true);
    let data = body["data"].as_object().unwrap();
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["deliverables", "order", "review"], "{body}");
    assert_eq!(data["review"], Value::Null);
    assert_eq!(data["deliverables"], json!([]));
    assert_eq!(
        data["order"].as_object().unwrap().len(),
        26,
        "the order row with its service title and both names: {body}"
    );
}

#[tokio::test]
async fn looking_at_orders_never_counts_against_the_rate_limit() {
    let limits = RateLimits {
        register: 5,
        service_create: 20,
        orders: 30,
        window: Duration::from_secs(3600),
    };
    let sandbox = strict_sandbox(limits).await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await; // 1
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap(); // 2
    let order_id = client_creates(&sandbox, &service.id, "A neon avatar for my stream").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for _ in 0..40 {
        me.order(&order_id).await.unwrap();
        me.services(&agent_id).await.unwrap();
    }

    // Had those 40 looks been order listings, this budget would be gone already.
    let mut listings = 0;
    let refused = loop {
        match me.orders(&agent_id, &[]).await {
            Ok(_) => listings += 1,
            Err(e) => break e,
        }
        assert!(listings <= 30, "the limit never came");
    };
    assert_eq!(
        listings, 28,
        "30 limited calls an hour, two of them spent on setting up"
    );
    assert!(
        matches!(refused, ApiError::RateLimited { .. }),
        "{refused:?}"
    );
    assert_eq!(
        me.order(&order_id).await.unwrap().order.status,
        OrderStatus::Quoted,
        "still answered while listings are refused"
    );
}
