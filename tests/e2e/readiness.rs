//! "Open for business": right after setting up, the home screen says whether a client can
//! buy and whether the creator will hear of it, line by line, and each fix works: the test
//! notification reaches the desktop (seen on D-Bus), a paused watcher is resumed, and the
//! missing payout wallet sends the creator to where it is set.

use std::time::Duration;

use atelier_tests::e2e::{AppUnderTest, NotificationSpy, TestProfile};
use serde_json::json;

use crate::story::{invoke, on_screen, open_in_practice_mode, register_with_a_service};

const SERVICE_TITLE: &str = "Neon avatar pack";

async fn verdict(app: &AppUnderTest, line: &str) -> Option<String> {
    app.attr(&format!("#readiness-{line}"), "data-verdict")
        .await
}

/// The home screen drawn again, and its check finished.
async fn home_again(app: &AppUnderTest) {
    app.click("#nav-services").await;
    on_screen(app, "services").await;
    app.wait_for("#readiness-lines:not([aria-busy])").await;
}

#[tokio::test]
async fn the_home_screen_says_what_stands_between_the_creator_and_a_sale_and_fixes_it() {
    let profile = TestProfile::named("readiness").await;
    let spy = NotificationSpy::start(&profile).await;
    let app = open_in_practice_mode(&profile).await;
    register_with_a_service(&app, SERVICE_TITLE).await;
    app.wait_for("#readiness-lines:not([aria-busy])").await;
    app.screenshot("readiness-after-setup").await;

    // The agent works, its service can be bought, orders are watched for.
    assert_eq!(verdict(&app, "agent").await.as_deref(), Some("ok"));
    assert_eq!(verdict(&app, "services").await.as_deref(), Some("ok"));
    assert_eq!(verdict(&app, "watching").await.as_deref(), Some("ok"));
    assert_eq!(verdict(&app, "budget").await.as_deref(), Some("ok"));
    assert!(app
        .text("#readiness-services")
        .await
        .contains("1 service is for sale"));
    // The wizard's wallet step was skipped and Practice registrations have no owner
    // wallet: nowhere to pay, so not open for business, and the fix says where to go.
    assert_eq!(verdict(&app, "payout").await.as_deref(), Some("bad"));
    assert_eq!(
        app.attr("#readiness", "data-open").await.as_deref(),
        Some("false")
    );
    app.click("#readiness-fix-payout").await;
    on_screen(&app, "account").await;

    // The test notification, seen on the session bus.
    home_again(&app).await;
    assert_eq!(verdict(&app, "notifications").await.as_deref(), Some("ok"));
    app.click("#readiness-fix-notifications").await;
    let seen = spy
        .wait_for_notify(Duration::from_secs(15))
        .await
        .expect("the test notification on D-Bus");
    assert_eq!(seen.summary, "Atelier Desk: notifications work");
    app.wait_for("#readiness-notifications-note:not([hidden])")
        .await;
    assert!(app
        .text("#readiness-notifications-note")
        .await
        .starts_with("Sent."));

    // Paused from the tray or the Orders screen: the check says so, and Resume fixes it.
    invoke(&app, "pause_watching", json!({}))
        .await
        .expect("paused");
    home_again(&app).await;
    assert_eq!(verdict(&app, "watching").await.as_deref(), Some("bad"));
    app.screenshot("readiness-paused").await;
    app.click("#readiness-fix-watching").await;
    app.wait_for(r#"#readiness-watching[data-verdict="ok"]"#)
        .await;
    let status = invoke(&app, "watch_status", json!({})).await.unwrap();
    assert_eq!(status["status"]["paused"], json!(false), "{status}");
    app.quit().await;
}
