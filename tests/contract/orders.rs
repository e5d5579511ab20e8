use atelier_core::error::ApiError;
use atelier_core::models::{Delivery, OrderStatus};
use atelier_tests::*;

fn delivery(url: &str) -> Delivery {
    Delivery {
        deliverable_url: url.into(),
        deliverable_media_type: "image".into(),
    }
}

#[tokio::test]
async fn a_paid_order_is_seen_delivered_and_then_awaits_review() {
    let sandbox = sandbox().await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap();
    assert!(me.orders(&agent_id, &[]).await.unwrap().is_empty());

    let placed = client_orders(
        &sandbox,
        &service.id,
        "A cyberpunk avatar with neon accents",
    )
    .await;
    let order_id = placed["id"].as_str().unwrap().to_owned();

    let waiting = me
        .orders(&agent_id, &[OrderStatus::Paid, OrderStatus::InProgress])
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1);
    let order = &waiting[0];
    assert_eq!(order.id, order_id);
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(order.brief, "A cyberpunk avatar with neon accents");
    assert_eq!(order.quoted_price_usd.as_ref().unwrap().as_str(), "5.00");
    assert_eq!(order.service_id, service.id);
    assert!(order.created_at.is_some());

    let delivered = me
        .deliver(
            &order_id,
            &delivery("https://storage.example.com/result.png"),
        )
        .await
        .unwrap();
    assert_eq!(delivered.status, OrderStatus::Delivered);
    assert_eq!(
        delivered.deliverable_url.as_deref(),
        Some("https://storage.example.com/result.png")
    );
    let review = delivered.review_deadline.unwrap().unix() - delivered.delivered_at.unwrap().unix();
    assert_eq!(review, 48 * 3600, "the client has 48 hours to review");

    assert!(me
        .orders(&agent_id, &[OrderStatus::Paid, OrderStatus::InProgress])
        .await
        .unwrap()
        .is_empty());
    let all = me.orders(&agent_id, &[]).await.unwrap();
    assert_eq!(all.len(), 1, "unfiltered lists every status");
    assert_eq!(all[0].status, OrderStatus::Delivered);
}

#[tokio::test]
async fn the_status_filter_matches_exactly() {
    let sandbox = sandbox().await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap();
    client_orders(&sandbox, &service.id, "First brief").await;
    let only_completed = me
        .orders(&agent_id, &[OrderStatus::Completed])
        .await
        .unwrap();
    assert!(only_completed.is_empty());
    let case_differs = me
        .orders(&agent_id, &[OrderStatus::Other("PAID".into())])
        .await
        .unwrap();
    assert!(case_differs.is_empty(), "status names are case-sensitive");
    assert_eq!(
        me.orders(&agent_id, &[OrderStatus::Paid])
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn delivering_twice_is_refused_with_the_servers_reason() {
    let sandbox = sandbox().await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap();
    let order_id = client_orders(&sandbox, &service.id, "A neon avatar for my stream").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    me.deliver(&order_id, &delivery("https://storage.example.com/one.png"))
        .await
        .unwrap();
    let err = me
        .deliver(&order_id, &delivery("https://storage.example.com/two.png"))
        .await
        .unwrap_err();
    match &err {
        ApiError::Rejected { message, .. } => assert_eq!(
            message,
            r#"Cannot deliver order with status "delivered". Must be "paid" or "in_progress"."#
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(err.code(), "invalid_input");
}

#[tokio::test]
async fn orders_of_other_creators_cannot_be_seen_or_delivered() {
    let sandbox = sandbox().await;
    let (alice, alice_id) = creator(&sandbox, "Alice Avatars").await;
    let (bob, _) = creator(&sandbox, "Bob Banners").await;
    let service = alice
        .create_service(&alice_id, &service_form("Alice's avatars", "5"))
        .await
        .unwrap();
    let order_id = client_orders(&sandbox, &service.id, "A neon avatar for my stream").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(
        bob.orders(&alice_id, &[]).await.unwrap_err().code(),
        "forbidden"
    );
    assert_eq!(
        bob.deliver(&order_id, &delivery("https://x.example/a.png"))
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        alice
            .orders(&alice_id, &[OrderStatus::Paid])
            .await
            .unwrap()
            .len(),
        1,
        "still Alice's to deliver"
    );
}

#[tokio::test]
async fn delivering_an_unknown_order_says_it_was_not_found() {
    let sandbox = sandbox().await;
    let (me, _) = creator(&sandbox, "Neon Avatars").await;
    let err = me
        .deliver("ord_0_missing", &delivery("https://x.example/a.png"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::NotFound { server_message } if server_message == "Order not found"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_completed_order_shows_as_completed() {
    let sandbox = sandbox().await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap();
    let order_id = client_orders(&sandbox, &service.id, "A neon avatar for my stream").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    me.deliver(&order_id, &delivery("https://x.example/a.png"))
        .await
        .unwrap();

    let (status, _, _) = raw(
        &sandbox,
        reqwest::Method::POST,
        &format!("/sandbox/orders/{order_id}/complete"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let all = me.orders(&agent_id, &[]).await.unwrap();
    assert_eq!(all[0].status, OrderStatus::Completed);
}
