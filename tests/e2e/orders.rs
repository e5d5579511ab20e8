//! A creator in Practice mode gets a (pretend) paid order: the desktop shows exactly one
//! notification for it, the inbox lists it under "To deliver", and delivering it through
//! the inline form moves it to "Waiting for the client's review".

use std::time::{Duration, Instant};

use atelier_tests::e2e::{NotificationSpy, TestProfile};

use crate::story::{
    on_screen, open_in_practice_mode, register_with_a_service, settle, value_of, wait_long,
};

const SERVICE_TITLE: &str = "Neon avatar pack";

#[tokio::test]
async fn a_simulated_order_raises_one_desktop_notification_and_is_delivered_through_the_inbox() {
    let started = Instant::now();
    let profile = TestProfile::named("orders").await;
    let spy = NotificationSpy::start(&profile).await;
    // Practice mode, and the shortest registration: agent (its key shown at once), no
    // wallet, one service.
    let app = open_in_practice_mode(&profile).await;
    register_with_a_service(&app, SERVICE_TITLE).await;

    // The inbox: nothing yet; a pretend client pays.
    app.click("#nav-inbox").await;
    on_screen(&app, "inbox").await;
    app.wait_for("#order-list:not([aria-busy])").await;
    app.wait_for("#orders-empty").await;
    app.wait_for("#watch-status #check-now").await;
    app.click("#simulate-order").await;

    // One desktop notification, in plain words.
    let notify = spy
        .wait_for_notify(Duration::from_secs(30))
        .await
        .expect("a desktop notification for the new order");
    assert!(notify.summary.starts_with("New order:"), "{notify:?}");
    assert!(notify.summary.contains(SERVICE_TITLE), "{notify:?}");
    assert!(notify.summary.contains("$5.00"), "{notify:?}");

    // The order, under "To deliver", with the brief the notification quoted.
    wait_long(
        &app,
        r#"#orders-to-deliver [id^="order-"]"#,
        Duration::from_secs(20),
    )
    .await;
    let id = app
        .attr(r#"#orders-to-deliver [id^="order-"]"#, "id")
        .await
        .expect("the order has an id");
    let order_id = id.trim_start_matches("order-").to_owned();
    let brief = app.text(&format!("#{id} .order-brief")).await;
    let start: String = brief.chars().take(30).collect();
    assert!(!start.is_empty(), "the order shows its brief");
    assert!(
        notify.body.contains(&start),
        "body {:?} should start with the brief {brief:?}",
        notify.body
    );
    let card = app.text(&format!("#{id}")).await;
    assert!(
        card.contains(SERVICE_TITLE) && card.contains("$5.00"),
        "{card}"
    );
    assert!(card.contains("Due in"), "{card}");
    app.screenshot("inbox").await;

    // Deliver: the media type is pre-selected from the link, and a confirmation comes first.
    app.click(&format!("#deliver-{order_id}")).await;
    app.fill(
        "#delivery-deliverable_url",
        "https://cdn.example.com/avatar.png",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while value_of(&app, "#delivery-deliverable_media_type").await != "image" {
        assert!(
            Instant::now() < deadline,
            "the media type was not pre-selected as image"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    settle().await;
    app.click("#delivery-submit").await;
    app.wait_for("#confirm-yes").await;
    assert!(app.text("#confirm-body").await.contains("48 hours"));
    app.click("#confirm-yes").await;
    wait_long(
        &app,
        &format!("#orders-review #{id}"),
        Duration::from_secs(30),
    )
    .await;
    assert!(app
        .text(&format!("#{id}"))
        .await
        .contains("Client review ends"));
    app.wait_for("#banner-success:not([hidden])").await;
    app.screenshot("delivered").await;

    assert_eq!(spy.count(), 1, "exactly one notification: {:?}", spy.all());
    app.quit().await;
    eprintln!("orders story took {:.1} s", started.elapsed().as_secs_f64());
}
