//! In Practice mode the creator rehearses a whole order's life from the Orders screen: the
//! link is checked before delivering (a link to this computer is caught, with the typed
//! link kept and "Send anyway" offered), then, as the client, they approve one order,
//! dispute another and cancel an unpaid third; time passes at the press of a button, so a
//! deadline goes by. In Live mode none of the pretend client's controls exist.

use std::time::{Duration, Instant};

use atelier_core::sandbox::simulate;
use atelier_tests::e2e::{AppUnderTest, TestProfile, READY};
use serde_json::json;

use crate::story::{
    invoke, message_beside, on_screen, open_in_practice_mode, register_with_a_service, run_script,
    settle, value_of, wait_long,
};

const SERVICE_TITLE: &str = "Neon avatar pack";
const LOCAL_LINK: &str = "http://127.0.0.1:9/out.png";
const PUBLIC_LINK: &str = "https://example.com/out.png";

/// After Deliver: the link is checked from this computer first, and a link this computer
/// cannot reach (offline, or a made-up host such as cdn.example.com) is held back with
/// "Send anyway". For stories about something else: sends it anyway, and returns once the
/// confirmation is open.
pub async fn past_the_link_check(app: &AppUnderTest) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !app.is_present("dialog#confirm[open] #confirm-yes").await {
        if app
            .is_present("#delivery-link-check:not([hidden]) #delivery-send-anyway")
            .await
        {
            app.click("#delivery-send-anyway").await;
        }
        if Instant::now() >= deadline {
            app.screenshot("timeout").await;
            panic!("no confirmation to deliver within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The id of the newest order card under `group` that is not in `known`.
async fn new_order_in(app: &AppUnderTest, group: &str, known: &[String]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ids = run_script(
            app,
            "const [group, done] = arguments;
             done([...document.querySelectorAll(`#orders-${group} li[id^='order-']`)]
               .map((el) => el.id.slice('order-'.length)));",
            vec![json!(group)],
        )
        .await;
        let fresh = ids
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str())
            .find(|id| !known.iter().any(|k| k == id));
        if let Some(id) = fresh {
            return id.to_owned();
        }
        if Instant::now() >= deadline {
            app.screenshot("timeout").await;
            panic!("no new order appeared under #orders-{group} within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Clicks a button near the top of a page that has scrolled: brought to the middle first,
/// out from under the sticky mode banner.
async fn click_in_view(app: &AppUnderTest, css: &str) {
    app.wait_for(css).await;
    run_script(
        app,
        "const [css, done] = arguments;
         document.querySelector(css).scrollIntoView({ block: 'center' });
         requestAnimationFrame(() => done(null));",
        vec![json!(css)],
    )
    .await;
    app.click(css).await;
}

async fn focused_id(app: &AppUnderTest) -> String {
    run_script(
        app,
        "const [done] = arguments; done(document.activeElement?.id ?? '');",
        vec![],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Waits until the media type box says `image` (pre-selected from the typed link).
async fn image_is_chosen(app: &AppUnderTest) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while value_of(app, "#delivery-deliverable_media_type").await != "image" {
        assert!(
            Instant::now() < deadline,
            "the media type was not pre-selected as image"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_creator_checks_the_link_then_plays_the_client_through_three_orders() {
    let started = Instant::now();
    let profile = TestProfile::named("practice_client")
        .await
        .with_env("ATELIER_PRACTICE_PAYMENT", "at-once");
    let app = open_in_practice_mode(&profile).await;
    register_with_a_service(&app, SERVICE_TITLE).await;
    app.click("#nav-inbox").await;
    on_screen(&app, "inbox").await;
    app.wait_for("#order-list:not([aria-busy])").await;
    let panel = app.text("#practice-panel").await;
    assert!(panel.contains("let time pass"), "{panel}");

    // A pretend client pays at once; the order comes in to deliver, and as the client the
    // creator could only dispute it now.
    click_in_view(&app, "#simulate-order").await;
    let first = new_order_in(&app, "to-deliver", &[]).await;
    let card = format!("#order-{first}");
    let client = app.text(&format!("#practice-client-{first}")).await;
    assert!(client.contains("you are the client now"), "{client}");
    assert!(app.is_present(&format!("#client-dispute-{first}")).await);
    assert!(!app.is_present(&format!("#client-approve-{first}")).await);
    assert!(!app.is_present(&format!("#client-cancel-{first}")).await);

    // A link to this computer: the check says so beside the link, nothing is sent, and
    // what was typed stays.
    app.click(&format!("#deliver-{first}")).await;
    app.fill("#delivery-deliverable_url", LOCAL_LINK).await;
    image_is_chosen(&app).await;
    settle().await;
    let asked = Instant::now();
    app.click("#delivery-submit").await;
    app.wait_for("#delivery-link-check:not([hidden])").await;
    eprintln!(
        "link to this computer judged in {} ms",
        asked.elapsed().as_millis()
    );
    let said = message_beside(&app, "delivery-deliverable_url").await;
    assert!(said.contains("this computer"), "{said}");
    assert_eq!(
        app.attr("#delivery-link-check", "data-problem")
            .await
            .as_deref(),
        Some("only_this_computer")
    );
    assert_eq!(
        value_of(&app, "#delivery-deliverable_url").await,
        LOCAL_LINK
    );
    assert!(app.is_present("#delivery-send-anyway").await);
    assert!(
        !app.is_present("#confirm[open]").await,
        "no confirmation for a link that failed the check"
    );
    assert!(app.is_present(&format!("#orders-to-deliver {card}")).await);
    app.screenshot("link-to-this-computer").await;

    // Fix the link: back in the box, with the link still there to correct.
    app.click("#delivery-fix-link").await;
    assert_eq!(focused_id(&app).await, "delivery-deliverable_url");
    assert_eq!(
        value_of(&app, "#delivery-deliverable_url").await,
        LOCAL_LINK
    );
    app.fill("#delivery-deliverable_url", PUBLIC_LINK).await;
    image_is_chosen(&app).await;
    settle().await;
    assert!(
        app.is_present("#delivery-link-check[hidden]").await,
        "an edited link is no longer judged"
    );

    // A public-looking link: whatever this computer's network honestly says of it (offline:
    // no such server), the page says the same; if it failed, Send anyway sends it as typed.
    let honest = invoke(
        &app,
        "check_link",
        json!({"url": PUBLIC_LINK, "mediaType": "image"}),
    )
    .await
    .expect("check_link never fails");
    eprintln!("the check of {PUBLIC_LINK} here: {honest}");
    let asked = Instant::now();
    app.click("#delivery-submit").await;
    if honest["ok"] == true {
        app.wait_for("#confirm-yes").await;
        let body = app.text("#confirm-body").await;
        assert!(body.contains("The link works"), "{body}");
    } else {
        app.wait_for("#delivery-link-check:not([hidden])").await;
        eprintln!("{PUBLIC_LINK} judged in {} ms", asked.elapsed().as_millis());
        assert_eq!(
            app.attr("#delivery-link-check", "data-problem").await,
            honest["problem"].as_str().map(str::to_owned),
            "the page shows the check's own verdict"
        );
        let said = message_beside(&app, "delivery-deliverable_url").await;
        let start: String = honest["message"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(30)
            .collect();
        assert!(said.starts_with(&start), "{said:?} vs {honest}");
        assert_eq!(
            value_of(&app, "#delivery-deliverable_url").await,
            PUBLIC_LINK
        );
        app.screenshot("public-link-unchecked").await;
        app.click("#delivery-send-anyway").await;
        app.wait_for("#confirm-yes").await;
    }
    let body = app.text("#confirm-body").await;
    assert!(body.contains(PUBLIC_LINK), "{body}");
    app.click("#confirm-yes").await;
    wait_long(
        &app,
        &format!("#orders-review {card}"),
        Duration::from_secs(30),
    )
    .await;
    let delivered = app.text(&card).await;
    assert!(
        delivered.contains(PUBLIC_LINK),
        "delivered as typed: {delivered}"
    );
    for action in [
        "approve",
        "approve-without-payout",
        "dispute",
        "lapse-review",
    ] {
        assert!(
            app.is_present(&format!("#client-{action}-{first}")).await,
            "a delivered order offers {action}"
        );
    }
    let note = app.text(&format!("#practice-client-{first}")).await;
    assert!(
        note.contains("On Atelier today nothing happens"),
        "the lapse is told honestly: {note}"
    );
    app.screenshot("delivered-client-can-approve").await;

    // As the client: approve. Completed, with the payout (to the wallet set just now: the
    // story's agent was registered without one), without a listing.
    invoke(
        &app,
        "set_payout_wallet",
        json!({"wallet": atelier_tests::wallet(7)}),
    )
    .await
    .expect("a payout wallet");
    let asked = Instant::now();
    app.click(&format!("#client-approve-{first}")).await;
    app.wait_for(&format!(
        r#"#orders-completed {card}[data-status="completed"]"#
    ))
    .await;
    eprintln!(
        "approved as the client, shown completed in {} ms",
        asked.elapsed().as_millis()
    );
    assert!(
        !app.is_present(&format!("#practice-client-{first}")).await,
        "a completed order leaves the client nothing to do"
    );
    let banner = app.text("#banner-success").await;
    assert!(
        banner.contains("approved") && banner.contains("$5.00"),
        "{banner}"
    );
    app.screenshot("approved").await;

    // A second order: the client disputes it; it stays to deliver, in dispute.
    click_in_view(&app, "#simulate-order").await;
    let second = new_order_in(&app, "to-deliver", std::slice::from_ref(&first)).await;
    app.click(&format!("#client-dispute-{second}")).await;
    app.wait_for(&format!(
        r#"#orders-to-deliver #order-{second}[data-status="disputed"]"#
    ))
    .await;
    assert!(app
        .text(&format!("#order-{second}"))
        .await
        .contains("The client opened a dispute"));
    app.screenshot("disputed").await;

    // A third, not paid yet (the real two-step checkout), seen after a Refresh: the client
    // may pay or cancel; they cancel.
    let session = invoke(&app, "session", json!({})).await.unwrap();
    let base = session["base_url"].as_str().expect("the practice address");
    let services = invoke(&app, "services", json!({})).await.unwrap();
    let service_id = services[0]["id"].as_str().unwrap();
    let unpaid = simulate::unpaid_order(base, service_id, "A teal fox for my shop, please")
        .await
        .unwrap();
    let third = unpaid.id;
    click_in_view(&app, "#orders-refresh").await;
    app.wait_for(&format!(
        r#"#orders-other #order-{third}[data-status="quoted"]"#
    ))
    .await;
    assert!(app.is_present(&format!("#client-pay-{third}")).await);
    app.click(&format!("#client-cancel-{third}")).await;
    app.wait_for(&format!(
        r#"#orders-other #order-{third}[data-status="cancelled"]"#
    ))
    .await;
    assert!(!app.is_present(&format!("#client-pay-{third}")).await);
    app.screenshot("cancelled").await;

    // Time passes: a day later the disputed order is past its 24-hour turnaround.
    assert!(app
        .text(&format!("#order-{second} .order-deadline"))
        .await
        .contains("Due in"));
    click_in_view(&app, "#clock-1d").await;
    app.wait_for("#clock-result:not([hidden])").await;
    app.wait_for(&format!("#order-{second}.overdue")).await;
    let late = app.text(&format!("#order-{second} .order-deadline")).await;
    assert!(late.starts_with("Overdue by"), "{late}");
    app.screenshot("a-day-later").await;

    app.quit().await;
    eprintln!(
        "practice client story took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn in_live_mode_no_order_offers_to_play_the_client() {
    let sandbox = atelier_tests::sandbox().await;
    let base = sandbox.base_url();
    let profile = TestProfile::named("practice_client_live").await;
    atelier_tests::stories::sign_in_without_the_ui(&profile, &base, &base).await;
    let app = AppUnderTest::launch(&profile).await;
    app.wait_for(READY).await;
    app.wait_for("#mode-banner.mode-live").await;
    let services = invoke(&app, "services", json!({})).await.unwrap();
    let service_id = services[0]["id"].as_str().expect("the creator's service");
    let order = simulate::paid_order(&base, service_id, "A neon fox avatar for my stream")
        .await
        .unwrap();

    app.click("#nav-inbox").await;
    on_screen(&app, "inbox").await;
    app.wait_for("#order-list:not([aria-busy])").await;
    let card = format!("#orders-to-deliver #order-{}", order.id);
    wait_long(&app, &card, Duration::from_secs(30)).await;
    assert!(app.is_present(&format!("#deliver-{}", order.id)).await);
    for css in [
        "#practice-panel",
        "#simulate-order",
        "[id^='practice-client-']",
        "[id^='client-']",
        "[id^='clock-']",
    ] {
        assert!(!app.is_present(css).await, "{css} shows in Live mode");
    }
    app.screenshot("live-orders").await;

    // And the engine refuses anyway.
    let refused = invoke(
        &app,
        "play_client",
        json!({"orderId": order.id, "action": "approve"}),
    )
    .await
    .unwrap_err();
    assert_eq!(refused["code"], "not_practice", "{refused}");
    app.quit().await;
}
