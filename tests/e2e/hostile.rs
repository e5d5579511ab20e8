//! A client's brief is a stranger's text, and a hostile one must stay inert and in its
//! place: markup shows as the characters typed (no element is made of it), a right-to-left
//! override cannot flip the page around it, a megabyte of brief is folded and leaves the
//! inbox answering, and the desktop notification carries neither markup nor invisible
//! characters. A delivery Atelier refuses says so beside its order and brings the form
//! back with what was typed.

use std::time::{Duration, Instant};

use atelier_tests::e2e::{AppUnderTest, NotificationSpy, Notify, TestProfile, READY};
use serde_json::{json, Value};

use crate::story::{
    appears_within, invoke, on_screen, open_in_practice_mode, register_with_a_service, run_script,
    settle, value_of, wait_long,
};

const SERVICE_TITLE: &str = "Neon avatar pack";

const IMG: &str = "<img src=x onerror=alert(1)>";
const BOLD: &str = "<b>bold</b> markup, please";
const RTL: &str = "invoice\u{202E}gnp.exe";
const ZERO_WIDTH: &str = "pay\u{200B}pal\u{200D} logo\u{FEFF}, now\u{2060} please";

/// Direction marks, embeddings, overrides, isolates and zero-width characters.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// A notification carries no markup a server would interpret and no invisible character.
fn assert_inert(notify: &Notify) {
    for text in [&notify.summary, &notify.body] {
        assert!(
            !text.contains('<') && !text.contains('>'),
            "markup reached the notification: {notify:?}"
        );
        assert!(
            !text.chars().any(invisible),
            "an invisible character reached the notification: {notify:?}"
        );
    }
}

/// The text of the element with `id` exactly as the page holds it (`textContent`).
async fn text_content(app: &AppUnderTest, id: &str) -> String {
    let answer = run_script(
        app,
        "const [id, done] = arguments;
         const el = document.getElementById(id);
         done(el ? el.textContent : null);",
        vec![json!(id)],
    )
    .await;
    answer
        .as_str()
        .unwrap_or_else(|| panic!("no element #{id}"))
        .to_owned()
}

/// Scrolls the element with `id` to the top of the window, for a screenshot.
async fn scroll_to(app: &AppUnderTest, id: &str) {
    run_script(
        app,
        "const [id, done] = arguments;
         document.getElementById(id)?.scrollIntoView({ block: 'start' });
         done(true);",
        vec![json!(id)],
    )
    .await;
}

/// What the page computed for the brief: its `dir`, its `unicode-bidi`, and how many
/// elements were made inside the order list's briefs.
async fn brief_facts(app: &AppUnderTest, order_id: &str) -> Value {
    run_script(
        app,
        "const [id, done] = arguments;
         const el = document.getElementById(`order-brief-${id}`);
         done({
           dir: el?.getAttribute('dir') ?? null,
           bidi: el ? getComputedStyle(el).unicodeBidi : null,
           children: el ? el.children.length : -1,
           images: document.querySelectorAll('#order-list img').length,
           bolds: document.querySelectorAll('#order-list b').length,
           folded: el?.dataset.folded ?? null,
           length: el ? el.textContent.length : -1,
         });",
        vec![json!(order_id)],
    )
    .await
}

/// A pretend client pays with `brief`; answers the order's id once the inbox lists it and
/// the notification that announced it.
async fn order_with(app: &AppUnderTest, spy: &NotificationSpy, brief: &str) -> (String, Notify) {
    let order = invoke(app, "simulate_order", json!({ "brief": brief }))
        .await
        .unwrap_or_else(|e| panic!("the pretend client could not order: {e}"));
    let id = order["id"].as_str().expect("an order id").to_owned();
    let notify = spy
        .wait_for_notify(Duration::from_secs(40))
        .await
        .unwrap_or_else(|| panic!("no notification for the brief {brief:?}"));
    wait_long(app, &format!("#order-{id}"), Duration::from_secs(40)).await;
    (id, notify)
}

#[tokio::test]
async fn hostile_briefs_stay_inert_and_in_their_place() {
    let profile = TestProfile::named("hostile").await;
    let spy = NotificationSpy::start(&profile).await;
    let app = open_in_practice_mode(&profile).await;
    let key = register_with_a_service(&app, SERVICE_TITLE).await;
    app.click("#nav-inbox").await;
    on_screen(&app, "inbox").await;
    app.wait_for("#order-list:not([aria-busy])").await;
    app.wait_for("#orders-empty").await;

    // Markup: shown as typed, no element made of it, escaped in the notification.
    let (img, notify) = order_with(&app, &spy, IMG).await;
    assert_inert(&notify);
    assert!(notify.body.contains("&lt;img src=x"), "{notify:?}");
    assert_eq!(text_content(&app, &format!("order-brief-{img}")).await, IMG);
    let facts = brief_facts(&app, &img).await;
    assert_eq!(facts["images"], 0, "no <img> was created: {facts}");
    assert_eq!(facts["children"], 0, "the brief is one text: {facts}");
    assert_eq!(facts["dir"], "auto", "{facts}");

    let (bold, notify) = order_with(&app, &spy, BOLD).await;
    assert_inert(&notify);
    assert_eq!(notify.body, "&lt;b&gt;bold&lt;/b&gt; markup, please");
    assert_eq!(
        text_content(&app, &format!("order-brief-{bold}")).await,
        BOLD
    );
    assert!(
        app.text(&format!("#order-brief-{bold}"))
            .await
            .contains("<b>bold</b>"),
        "the tags are visible as text"
    );
    assert_eq!(brief_facts(&app, &bold).await["bolds"], 0);

    // A right-to-left override: kept as written, isolated in its own element, flagged,
    // and dropped from the notification.
    let (rtl, notify) = order_with(&app, &spy, RTL).await;
    assert_inert(&notify);
    assert!(notify.body.contains("invoicegnp.exe"), "{notify:?}");
    assert_eq!(text_content(&app, &format!("order-brief-{rtl}")).await, RTL);
    let facts = brief_facts(&app, &rtl).await;
    assert!(
        facts["dir"] == "auto" || facts["bidi"].as_str().unwrap_or("").contains("isolate"),
        "the brief's direction is isolated: {facts}"
    );
    app.wait_for(&format!("#order-brief-hidden-{rtl}")).await;
    // What follows the brief in its card still reads in the page's direction.
    let card = text_content(&app, &format!("order-{rtl}")).await;
    assert!(card.contains("Due in"), "{card}");

    // Zero-width characters: the same.
    let (zero, notify) = order_with(&app, &spy, ZERO_WIDTH).await;
    assert_inert(&notify);
    assert!(notify.body.contains("paypal logo"), "{notify:?}");
    assert_eq!(
        text_content(&app, &format!("order-brief-{zero}")).await,
        ZERO_WIDTH
    );
    app.wait_for(&format!("#order-brief-hidden-{zero}")).await;
    app.screenshot("hostile-markup").await;
    scroll_to(&app, &format!("order-{rtl}")).await;
    app.screenshot("hostile-rtl-and-zero-width").await;

    // A delivery Atelier refuses: the order was delivered behind the app's back (with the
    // key the wizard showed), so sending it again gets a 400 in the server's words.
    let session = invoke(&app, "session", json!({})).await.unwrap();
    let base = session["base_url"].as_str().expect("the practice address");
    let answer = reqwest::Client::new()
        .post(format!("{base}/orders/{bold}/deliver"))
        .bearer_auth(&key)
        .json(&json!({"deliverable_url": "https://cdn.example.com/first.png", "deliverable_media_type": "image"}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());

    let typed = "https://cdn.example.com/neon-avatar.png";
    app.click(&format!("#deliver-{bold}")).await;
    app.fill("#delivery-deliverable_url", typed).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while value_of(&app, "#delivery-deliverable_media_type").await != "image" {
        assert!(Instant::now() < deadline, "the media type was not guessed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    settle().await;
    app.click("#delivery-submit").await;
    crate::practice_client::past_the_link_check(&app).await;
    app.click("#confirm-yes").await;
    // Twice, in a full parallel run on a loaded machine, the card said "Sending…" for good:
    // the refusal's event had come before the answer of the call that queued the delivery,
    // and that answer put "Sending…" back (fixed: order-list.js, `sending`). Alone it takes
    // seconds; a timeout says what the card showed instead.
    let refused = format!("#delivery-failed-{bold}");
    if !appears_within(&app, &refused, Duration::from_secs(90)).await {
        let card = app.text(&format!("#order-{bold}")).await;
        let status = app.attr(&format!("#order-{bold}"), "data-status").await;
        let watching = invoke(&app, "watch_status", json!({})).await;
        panic!(
            "no refusal on the card within 90 s; the card ({status:?}) said:\n{card}\nwatcher: {watching:?}"
        );
    }
    let said = app.text(&format!("#delivery-failed-{bold}")).await;
    assert!(
        said.contains("Cannot deliver order with status"),
        "the server's words are shown: {said}"
    );
    // The app also looks at its orders for free (after each start, every few minutes, and
    // when the Orders screen asks): it may learn at any moment that this order was
    // delivered elsewhere. Until then the form is back with what was typed; after, the
    // order waits for review. Either way the refusal stays said on its card.
    let status = app.attr(&format!("#order-{bold}"), "data-status").await;
    match status.as_deref() {
        Some("paid") => {
            app.wait_for(&format!("#delivery-form-{bold}")).await;
            assert_eq!(
                value_of(&app, "#delivery-deliverable_url").await,
                typed,
                "what was typed is kept"
            );
        }
        Some("delivered") => {
            app.wait_for(&format!("#orders-review #delivery-failed-{bold}"))
                .await;
        }
        other => panic!("the refused order shows as {other:?}"),
    }
    scroll_to(&app, &format!("order-{bold}")).await;
    app.screenshot("delivery-refused").await;

    // A megabyte of brief. The real checkout takes 1000 characters at most, so the order is
    // written into the practice marketplace's data while the app is closed, as a server
    // that allowed it would list it.
    app.quit().await;
    let data = profile.data_dir().join("practice-marketplace.json");
    let mut store: Value = serde_json::from_slice(&std::fs::read(&data).unwrap()).unwrap();
    let orders = store["orders"].as_array_mut().expect("the orders");
    let mut huge = orders
        .iter()
        .find(|o| o["id"] == img.as_str())
        .expect("the first order")
        .clone();
    let megabyte: String = "A very long brief, line after line. "
        .repeat(1 << 20)
        .chars()
        .take(1 << 20)
        .collect();
    let huge_id = "ord_hostile_megabyte";
    huge["id"] = json!(huge_id);
    huge["brief"] = json!(megabyte);
    orders.push(huge);
    std::fs::write(&data, serde_json::to_vec(&store).unwrap()).unwrap();

    let app = AppUnderTest::launch(&profile).await;
    app.wait_for(READY).await;
    let notify = spy
        .wait_for_notify(Duration::from_secs(40))
        .await
        .expect("a notification for the megabyte order");
    assert_inert(&notify);
    assert!(
        notify.body.chars().count() < 300,
        "the notification quotes only the start: {} characters",
        notify.body.chars().count()
    );
    app.click("#nav-inbox").await;
    on_screen(&app, "inbox").await;
    app.wait_for("#order-list:not([aria-busy])").await;
    wait_long(&app, &format!("#order-{huge_id}"), Duration::from_secs(40)).await;
    let facts = brief_facts(&app, huge_id).await;
    assert_eq!(facts["folded"], "true", "{facts}");
    assert!(
        facts["length"].as_u64().unwrap() <= 601,
        "only the start is in the page: {facts}"
    );
    assert!(app
        .text(&format!("#order-brief-toggle-{huge_id}"))
        .await
        .starts_with("Show all"));
    app.screenshot("megabyte-folded").await;

    // The inbox answers: another order's Deliver opens its form at once.
    let clicked = Instant::now();
    app.click(&format!("#deliver-{rtl}")).await;
    app.wait_for(&format!("#delivery-form-{rtl}")).await;
    let took = clicked.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "the inbox took {took:?} to answer"
    );

    // "Show all" shows all of it, and "Show less" folds it again.
    app.click(&format!("#order-brief-toggle-{huge_id}")).await;
    app.wait_for(&format!(
        r#"#order-brief-toggle-{huge_id}[aria-expanded="true"]"#
    ))
    .await;
    let facts = brief_facts(&app, huge_id).await;
    assert_eq!(facts["length"].as_u64().unwrap(), 1 << 20, "{facts}");
    app.screenshot("megabyte-expanded").await;
    let clicked = Instant::now();
    app.click(&format!("#order-brief-toggle-{huge_id}")).await;
    app.wait_for(&format!(r#"#order-brief-{huge_id}[data-folded="true"]"#))
        .await;
    let took = clicked.elapsed();
    assert!(took < Duration::from_secs(2), "folding took {took:?}");
    app.quit().await;
}
