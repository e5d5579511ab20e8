//! No alert lost: with desktop notifications off, a new order's alert is kept until the
//! creator has seen it. The open page shows it, the tray counts it, and after the app is
//! closed and opened again the window shows it still; Dismiss makes it go for good.

use std::time::{Duration, Instant};

use atelier_tests::e2e::{AppUnderTest, TestProfile, READY};
use atelier_tests::tray::StandInWatcher;
use serde_json::{json, Value};

use crate::story::{invoke, on_screen, open_in_practice_mode, register_with_a_service};

const SERVICE_TITLE: &str = "Neon avatar pack";

async fn waiting(app: &AppUnderTest) -> Vec<Value> {
    invoke(app, "waiting_alerts", json!({}))
        .await
        .expect("waiting_alerts answers")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn an_alert_no_notification_showed_waits_for_the_next_window() {
    let profile = TestProfile::named("waiting-alerts").await;
    // The panel first: libayatana only registers with a watcher that is already there.
    let panel = StandInWatcher::start().await;
    let app = open_in_practice_mode(&profile).await;
    register_with_a_service(&app, SERVICE_TITLE).await;
    invoke(
        &app,
        "set_preferences",
        json!({"preferences": {"notifications": false}}),
    )
    .await
    .expect("notifications off");

    let order = invoke(
        &app,
        "simulate_order",
        json!({"brief": "A neon fox avatar for my stream, please"}),
    )
    .await
    .expect("a pretend order");
    let deadline = Instant::now() + Duration::from_secs(40);
    while waiting(&app).await.is_empty() {
        assert!(Instant::now() < deadline, "the alert was never kept");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(waiting(&app).await[0]["order_ids"], json!([order["id"]]));
    app.wait_for("#order-alert:not([hidden])").await;
    assert!(app.text("#order-alert").await.contains(SERVICE_TITLE));
    let tray = panel.tray(Duration::from_secs(20)).await;
    tray.wait_for_label(
        "Open Atelier Desk",
        "Open Atelier Desk — 1 new order waiting",
        Duration::from_secs(10),
    )
    .await;

    // Closed before anyone looked: the next window shows it at once.
    let app = app.restart().await;
    app.wait_for(READY).await;
    on_screen(&app, "services").await;
    app.wait_for("#order-alert:not([hidden])").await;
    let shown = app.text("#order-alert").await;
    assert!(shown.contains(SERVICE_TITLE), "{shown}");
    assert!(shown.contains("A neon fox avatar"), "{shown}");
    app.screenshot("alert-after-restart").await;

    // Seen: it goes, and does not come back with the next window.
    app.click("#order-alert-dismiss").await;
    app.wait_for("#order-alert[hidden]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !waiting(&app).await.is_empty() {
        assert!(Instant::now() < deadline, "the dismissal was not kept");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let app = app.restart().await;
    app.wait_for(READY).await;
    on_screen(&app, "services").await;
    assert!(waiting(&app).await.is_empty());
    assert!(!app.is_present("#order-alert:not([hidden])").await);
    app.quit().await;
}
