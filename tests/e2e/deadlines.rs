//! A paid order the creator has not delivered goes past its turnaround: the desktop says
//! "Late" exactly once, and not again when the app is closed and opened again.
//!
//! Practice mode: the pretend client pays at once; the practice marketplace's clock then
//! makes the order a day and an hour old (its service promises 24 hours). The app learns
//! the order's age through the free per-order look at the kept list it makes after each
//! start, and judges the deadlines every ten seconds.

use std::time::{Duration, Instant};

use atelier_tests::e2e::{NotificationSpy, TestProfile, READY};
use serde_json::json;

use crate::story::{invoke, open_in_practice_mode, register_with_a_service};

const SERVICE_TITLE: &str = "Neon avatar pack";

fn late(spy: &NotificationSpy) -> Vec<String> {
    spy.all()
        .into_iter()
        .map(|n| n.summary)
        .filter(|s| s.starts_with("Late"))
        .collect()
}

#[tokio::test]
async fn a_late_order_is_announced_once_across_a_restart() {
    let profile = TestProfile::named("deadlines")
        .await
        .with_env("ATELIER_PRACTICE_PAYMENT", "at-once");
    let spy = NotificationSpy::start(&profile).await;
    let app = open_in_practice_mode(&profile).await;
    register_with_a_service(&app, SERVICE_TITLE).await;

    let order = invoke(&app, "simulate_order", json!({}))
        .await
        .expect("a pretend paid order");
    let order_id = order["id"].as_str().expect("an order id").to_owned();
    let new = spy
        .wait_for_notify(Duration::from_secs(40))
        .await
        .expect("the new order's notification");
    assert!(new.summary.starts_with("New order"), "{new:?}");
    assert!(
        late(&spy).is_empty(),
        "late before its time: {:?}",
        spy.all()
    );
    // The creator looks at the Orders screen once, so the app keeps the list.
    app.click("#nav-inbox").await;
    app.wait_for(&format!("#order-{order_id}")).await;

    // A day and an hour pass on the practice marketplace.
    let session = invoke(&app, "session", json!({})).await.expect("session");
    let base = session["base_url"].as_str().expect("the practice address");
    let aged = reqwest::Client::new()
        .post(format!("{base}/sandbox/orders/{order_id}/age"))
        .json(&json!({"advance_secs": 25 * 3600}))
        .send()
        .await
        .expect("the practice marketplace answers");
    assert!(aged.status().is_success(), "{aged:?}");

    // Opened again: the first free look at the known orders finds it late.
    let app = app.restart().await;
    app.wait_for(READY).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while late(&spy).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no late notification within 60 s: {:?}",
            spy.all()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let told = late(&spy);
    assert_eq!(told, [format!("Late: {SERVICE_TITLE}")], "{:?}", spy.all());

    // Closed and opened again: the app looks again, and says nothing new.
    let app = app.restart().await;
    app.wait_for(READY).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(late(&spy), told, "told twice: {:?}", spy.all());
    assert!(
        !spy.all().iter().any(|n| n.summary.starts_with("Due")),
        "a late order is not also due soon: {:?}",
        spy.all()
    );
    app.quit().await;
}
