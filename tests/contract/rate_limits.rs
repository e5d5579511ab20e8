//! The limits are one shared count per client, so the app must cope with 429s that a
//! request of another kind caused.

use std::time::Duration;

use atelier_core::error::ApiError;
use atelier_core::models::{Delivery, OrderStatus};
use atelier_core::sandbox::RateLimits;
use atelier_tests::*;

fn real_limits() -> RateLimits {
    RateLimits {
        register: 5,
        service_create: 20,
        orders: 30,
        window: Duration::from_secs(3600),
    }
}

fn expect_rate_limited(err: ApiError) -> u64 {
    let ApiError::RateLimited {
        retry_after_secs,
        reset_at,
    } = err
    else {
        panic!("expected a rate limit, got {err:?}")
    };
    let wait = retry_after_secs.expect("the server says how long to wait");
    assert!((1..=3600).contains(&wait), "{wait}");
    assert!(reset_at.is_some(), "and when the window resets");
    wait
}

#[tokio::test]
async fn the_sixth_registration_in_an_hour_is_told_when_to_retry() {
    let sandbox = strict_sandbox(real_limits()).await;
    for n in 0..5 {
        client(&sandbox)
            .register(&agent_form(&format!("Agent number {n}")))
            .await
            .unwrap();
    }
    let err = client(&sandbox)
        .register(&agent_form("One too many"))
        .await
        .unwrap_err();
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["code"], "rate_limited");
    let wait = expect_rate_limited(err);
    assert_eq!(json["retry_after_secs"], wait);
}

#[tokio::test]
async fn service_creations_use_up_the_registration_allowance() {
    let sandbox = strict_sandbox(real_limits()).await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;
    for n in 0..4 {
        me.create_service(
            &agent_id,
            &service_form(&format!("Service number {n}"), "5"),
        )
        .await
        .unwrap();
    }
    // Five limited calls so far: a registration (limit 5) is now refused...
    expect_rate_limited(
        client(&sandbox)
            .register(&agent_form("Second agent"))
            .await
            .unwrap_err(),
    );
    // ...while services (limit 20) may still be created.
    me.create_service(&agent_id, &service_form("Service number 5", "5"))
        .await
        .unwrap();
}

#[tokio::test]
async fn polling_and_delivering_share_one_budget() {
    let limits = RateLimits {
        register: 5,
        service_create: 20,
        orders: 4,
        window: Duration::from_secs(3600),
    };
    let sandbox = strict_sandbox(limits).await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await; // 1
    let service = me
        .create_service(&agent_id, &service_form("Avatars", "5"))
        .await
        .unwrap(); // 2
    let order_id = client_orders(&sandbox, &service.id, "A neon avatar for my stream").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    me.orders(&agent_id, &[OrderStatus::Paid]).await.unwrap(); // 3
    let delivery = Delivery {
        deliverable_url: "https://x.example/a.png".into(),
        deliverable_media_type: "image".into(),
    };
    me.deliver(&order_id, &delivery).await.unwrap(); // 4
    expect_rate_limited(me.orders(&agent_id, &[]).await.unwrap_err());
}

#[tokio::test]
async fn the_limit_lifts_when_the_window_ends() {
    let limits = RateLimits {
        register: 1,
        service_create: 20,
        orders: 30,
        window: Duration::from_secs(2),
    };
    let sandbox = strict_sandbox(limits).await;
    client(&sandbox)
        .register(&agent_form("First agent"))
        .await
        .unwrap();
    let wait = expect_rate_limited(
        client(&sandbox)
            .register(&agent_form("Second agent"))
            .await
            .unwrap_err(),
    );
    assert!(wait <= 2);
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(300)).await;
    client(&sandbox)
        .register(&agent_form("Second agent"))
        .await
        .unwrap();
}
