//! A creator in Practice mode gets a (pretend) paid order: the desktop shows exactly one
//! notification for it, the inbox lists it under "To deliver", and delivering it through
//! the inline form moves it to "Waiting for the client's review". Closed and opened again,
//! the Orders screen shows the last known orders at once, from the list kept on disk.

use std::time::{Duration, Instant};

use atelier_tests::e2e::{NotificationSpy, TestProfile};

use atelier_tests::e2e::READY;

use crate::story::{
    invoke, on_screen, open_in_practice_mode, register_with_a_service, run_script, settle,
    value_of, wait_long,
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
    crate::practice_client::past_the_link_check(&app).await;
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

    // The status panel speaks of what it means for the seller, not of a call budget.
    let panel = app.text("#watch-status").await;
    assert!(panel.contains("new orders"), "{panel}");
    assert!(!panel.contains("left this hour"), "{panel}");

    // Closed and opened again: the last known orders are on the Orders screen at once.
    let app = app.restart().await;
    app.wait_for(READY).await;
    app.wait_for("#nav-inbox").await;
    let shown = run_script(
        &app,
        "const [id, done] = arguments;
         const start = performance.now();
         document.querySelector('#nav-inbox').click();
         const look = () => {
           if (document.getElementById(id)) {
             done({ ms: performance.now() - start });
           } else if (performance.now() - start > 10000) {
             done({ ms: null, list: document.querySelector('#order-list')?.textContent });
           } else {
             setTimeout(look, 5);
           }
         };
         look();",
        vec![serde_json::json!(id)],
    )
    .await;
    let ms = shown["ms"]
        .as_f64()
        .unwrap_or_else(|| panic!("the kept order never showed: {shown}"));
    assert!(ms < 2000.0, "the kept orders took {ms:.0} ms to show");
    on_screen(&app, "inbox").await;
    app.wait_for(&format!("#orders-review #{id}")).await;
    assert!(
        !app.is_present("#orders-retry").await,
        "no error instead of the orders"
    );
    let card = app.text(&format!("#{id}")).await;
    assert!(card.contains(SERVICE_TITLE), "{card}");
    app.screenshot("orders-after-restart").await;
    eprintln!("kept orders shown {ms:.0} ms after opening Orders");

    // The hour's calls used up (by hand, as a hurried creator would with Refresh): Refresh
    // keeps the last known orders and says why there is no newer list, never an error.
    for _ in 0..40 {
        let answer = invoke(&app, "orders", serde_json::json!({"refresh": true}))
            .await
            .expect("the kept list, never an error");
        if answer["not_listed"]["code"] == "rate_limited" {
            break;
        }
    }
    app.click("#orders-refresh").await;
    app.wait_for(r#"#orders-as-of[data-state="not-listed"]:not([hidden])"#)
        .await;
    let why = app.text("#orders-as-of").await;
    assert!(why.contains("These are your orders as of"), "{why}");
    assert!(app.is_present(&format!("#orders-review #{id}")).await);
    assert!(
        !app.is_present("#banner-error:not([hidden])").await,
        "no error banner"
    );
    app.screenshot("orders-when-no-new-list").await;

    assert_eq!(spy.count(), 1, "nothing announced again: {:?}", spy.all());
    app.quit().await;
    eprintln!("orders story took {:.1} s", started.elapsed().as_secs_f64());
}
