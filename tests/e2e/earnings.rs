//! Earnings in Practice mode: a pretend client pays, the creator delivers through the
//! inbox, the client approves on the practice marketplace, and the Earnings totals move
//! at every step (Waiting → In review → Completed this month, with a View payout button
//! that opens the payout's Solscan page through the system's opener). Then hostile briefs
//! on more orders, and the CSV export answered in the real GTK save dialog (driven with
//! xdotool, as a person would type a path and press Return): the file parses as RFC 4180
//! with every brief intact and no cell a spreadsheet would run as a formula.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use atelier_core::earnings::CSV_HEADER;
use atelier_tests::e2e::{AppUnderTest, TestProfile};
use serde_json::{json, Value};

use crate::story::{
    invoke, on_screen, open_in_practice_mode, register_with_a_service, run_script, settle,
    value_of, wait_long,
};

const SERVICE_TITLE: &str = "Neon avatar pack";
const FIRST_BRIEF: &str = "Three neon avatars for my streaming channel, please";

/// Each starts with what a spreadsheet takes as a formula, and carries commas, quotes and
/// a line break the CSV must keep inside one cell.
const HOSTILE: [&str; 3] = [
    "=HYPERLINK(\"http://evil\",\"x\"), said \"the client\"\nsecond line, with a comma",
    "+cmd|' /C calc'!A0, then \"quoted\" words",
    "@SUM(1), and \"more\"\r\non another line",
];

#[tokio::test]
async fn earnings_move_from_paid_to_paid_out_and_export_a_csv_no_spreadsheet_can_run() {
    let started = Instant::now();
    let profile = TestProfile::named("earnings").await;
    // The system's opener, as the app finds it on its PATH: a stand-in that writes down
    // what it was asked to open, instead of a browser.
    let opened = profile.path().join("opened.txt");
    let fake_bin = fake_opener(profile.path(), &opened);
    let path = std::env::var("PATH").unwrap_or_default();
    let profile = profile
        .with_env("PATH", &format!("{}:{path}", fake_bin.display()))
        .with_env("ATELIER_PRACTICE_PAYMENT", "at-once");

    let app = open_in_practice_mode(&profile).await;
    let key = register_with_a_service(&app, SERVICE_TITLE).await;
    // Somewhere for the payout to go (the wizard's wallet step was skipped): without a
    // wallet Atelier completes the order with no transfer.
    let wallet = bs58_address(9);
    invoke(&app, "set_payout_wallet", json!({"wallet": wallet}))
        .await
        .expect("a payout wallet");
    let session = invoke(&app, "session", json!({})).await.unwrap();
    let base = session["base_url"]
        .as_str()
        .expect("the practice marketplace's address")
        .to_owned();

    // Nothing yet.
    app.click("#nav-earnings").await;
    on_screen(&app, "earnings").await;
    app.wait_for("#earnings-totals:not([aria-busy])").await;
    app.wait_for("#earnings-empty").await;
    assert_totals(&app, ["0.00", "0.00", "0.00", "0.00"]).await;

    // 1. A client pays: Waiting for you to deliver, $5.00.
    let order = invoke(&app, "simulate_order", json!({"brief": FIRST_BRIEF}))
        .await
        .expect("a pretend order");
    let id = order["id"].as_str().unwrap().to_owned();
    assert_eq!(order["status"], "paid", "{order}");
    wait_long(
        &app,
        r#"#earnings-total-waiting_to_deliver[data-usd="5.00"]"#,
        Duration::from_secs(60),
    )
    .await;
    assert_totals(&app, ["5.00", "0.00", "0.00", "0.00"]).await;
    assert_eq!(
        app.text("#earnings-total-waiting_to_deliver .total-amount")
            .await,
        "$5.00"
    );
    let row = app.text(&format!("#earnings-row-{id}")).await;
    assert!(row.contains("waiting for you to deliver"), "{row}");
    assert!(
        row.contains("$5.00") && row.contains(SERVICE_TITLE),
        "{row}"
    );
    app.screenshot("1-paid-waiting").await;

    // 2. Delivered through the inbox: In review, $5.00, with when the review ends.
    app.click("#nav-inbox").await;
    on_screen(&app, "inbox").await;
    wait_long(
        &app,
        &format!("#orders-to-deliver #order-{id}"),
        Duration::from_secs(30),
    )
    .await;
    // WebKitWebDriver does not click what is below the fold: bring the order up first.
    scroll_to(&app, &format!("order-{id}")).await;
    app.click(&format!("#deliver-{id}")).await;
    app.fill(
        "#delivery-deliverable_url",
        "https://cdn.example.com/neon-avatars.png",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while value_of(&app, "#delivery-deliverable_media_type").await != "image" {
        assert!(Instant::now() < deadline, "the media type was not guessed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    settle().await;
    app.click("#delivery-submit").await;
    // The link is checked from this computer first; example.com's CDN does not exist, so
    // the creator sends it anyway (a checked link goes straight to the confirmation).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !app.is_present("dialog#confirm[open] #confirm-yes").await {
        if app
            .is_present("#delivery-link-check:not([hidden]) #delivery-send-anyway")
            .await
        {
            app.click("#delivery-send-anyway").await;
        }
        assert!(Instant::now() < deadline, "no confirmation to deliver");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(app.text("#confirm-body").await.contains("48 hours"));
    app.click("dialog#confirm[open] #confirm-yes").await;
    wait_long(
        &app,
        &format!("#orders-review #order-{id}"),
        Duration::from_secs(40),
    )
    .await;
    app.click("#nav-earnings").await;
    on_screen(&app, "earnings").await;
    wait_long(
        &app,
        r#"#earnings-total-in_review[data-usd="5.00"]"#,
        Duration::from_secs(20),
    )
    .await;
    assert_totals(&app, ["0.00", "5.00", "0.00", "0.00"]).await;
    let review = app.text("#earnings-review-soonest").await;
    assert!(review.starts_with("First review ends "), "{review}");
    let row = app.text(&format!("#earnings-row-{id}")).await;
    assert!(row.contains("the client's review ends"), "{row}");
    app.screenshot("2-delivered-in-review").await;

    // 3. The client approves (the practice marketplace's control endpoint): Completed this
    // month and all time, $5.00, and the payout to look at.
    let http = reqwest::Client::new();
    let done: Value = http
        .post(format!("{base}/sandbox/orders/{id}/complete"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(done["data"]["status"], "completed", "{done}");
    let tx = done["data"]["payout_tx_hash"]
        .as_str()
        .unwrap_or_else(|| panic!("a made-up payout: {done}"))
        .to_owned();
    // The app hears of an approval through its free look at the known orders (every few
    // minutes): the creator's Refresh asks for one now, still free (`look_again`).
    app.click("#earnings-refresh").await;
    wait_long(
        &app,
        r#"#earnings-total-completed_this_month[data-usd="5.00"]"#,
        Duration::from_secs(30),
    )
    .await;
    assert_totals(&app, ["0.00", "0.00", "5.00", "5.00"]).await;
    let row = app.text(&format!("#earnings-row-{id}")).await;
    assert!(row.contains("Completed and paid out on"), "{row}");
    let note = app
        .text(&format!("#earnings-row-{id} .practice-note"))
        .await;
    assert_eq!(note, "(practice — not a real transaction)");
    assert!(
        !app.is_present("#earnings-missing-payouts:not([hidden])")
            .await,
        "a recorded payout is not flagged"
    );
    app.screenshot("3-completed-paid-out").await;

    // View payout: the system's opener gets exactly the explorer's page of this payout.
    app.click(&format!("#earnings-payout-{id}")).await;
    let asked = wait_for_file(&opened, Duration::from_secs(15)).await;
    assert_eq!(
        asked.lines().collect::<Vec<_>>(),
        [format!("https://solscan.io/tx/{tx}")],
        "one link, to this payout"
    );
    assert!(
        !app.is_present("#banner-error:not([hidden])").await,
        "no error opening the payout"
    );

    // Hostile briefs on three more orders; the export waits until Earnings lists them.
    let mut hostile_ids = Vec::new();
    for brief in HOSTILE {
        let order = invoke(&app, "simulate_order", json!({"brief": brief}))
            .await
            .expect("a pretend order with a hostile brief");
        hostile_ids.push(order["id"].as_str().unwrap().to_owned());
    }
    wait_long(
        &app,
        r#"#earnings-total-waiting_to_deliver[data-usd="15.00"]"#,
        Duration::from_secs(60),
    )
    .await;
    for hostile in &hostile_ids {
        app.wait_for(&format!("#earnings-row-{hostile}")).await;
    }

    // The export, through the real save dialog. Cancelled first: nothing written, nothing said.
    let out_dir = profile.path().join("exports");
    std::fs::create_dir_all(&out_dir).unwrap();
    let target = out_dir.join("my orders.csv");
    app.click("#earnings-export").await;
    let dialog = find_save_dialog().await;
    xdotool(&["windowfocus", "--sync", &dialog]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    xdotool(&["key", "--clearmodifiers", "Escape"]);
    app.wait_for("#earnings-export:not([aria-busy])").await;
    assert!(app.is_present("#earnings-export-status[hidden]").await);
    assert!(!app.is_present("#banner-error:not([hidden])").await);
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 0);
    app.click("#earnings-export").await;
    let dialog_took = answer_save_dialog(&target).await;
    app.wait_for_text(
        "#earnings-export-path",
        target.to_str().expect("a UTF-8 path"),
    )
    .await;
    assert!(app
        .text("#earnings-export-status")
        .await
        .starts_with("Saved to "));
    app.screenshot("4-exported").await;

    let bytes = std::fs::read(&target).expect("the export was written where chosen");
    let text = String::from_utf8(bytes).expect("UTF-8");
    let body = text
        .strip_prefix('\u{FEFF}')
        .expect("a byte order mark, for Excel");
    assert!(body.ends_with("\r\n"), "CRLF after every record");
    let records = parse_rfc4180(body);
    assert_eq!(records[0], CSV_HEADER, "the header row");
    assert_eq!(
        records.len(),
        1 + 4,
        "the header and four orders: {records:?}"
    );
    for record in &records {
        assert_eq!(record.len(), CSV_HEADER.len(), "{record:?}");
        for cell in record {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']),
                "a cell a spreadsheet would run: {cell:?}"
            );
        }
    }
    let column = |name: &str| CSV_HEADER.iter().position(|h| *h == name).unwrap();
    let by_id = |id: &str| {
        records
            .iter()
            .find(|r| r[0] == id)
            .unwrap_or_else(|| panic!("no row for {id}: {records:?}"))
    };
    for (hostile, brief) in hostile_ids.iter().zip(HOSTILE) {
        let row = by_id(hostile);
        assert_eq!(
            row[column("brief")],
            format!("'{brief}"),
            "the brief whole, neutralised"
        );
        assert_eq!(row[column("status")], "paid");
        assert_eq!(row[column("you receive (USD)")], "5.00");
    }
    let paid_out = by_id(&id);
    assert_eq!(paid_out[column("status")], "completed");
    assert_eq!(paid_out[column("brief")], FIRST_BRIEF);
    assert_eq!(paid_out[column("payout transaction")], tx);
    assert_eq!(paid_out[column("you receive (USD)")], "5.00");
    assert_eq!(paid_out[column("client paid (USD)")], "5.50");
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")"),
        "quotes doubled inside a quoted cell"
    );

    // A completed order whose transfer failed is flagged, with what to do about it.
    let flagged = &hostile_ids[0];
    let delivered = http
        .post(format!("{base}/orders/{flagged}/deliver"))
        .bearer_auth(&key)
        .json(&json!({"deliverable_url": "https://cdn.example.com/x.png", "deliverable_media_type": "image"}))
        .send()
        .await
        .unwrap();
    assert!(delivered.status().is_success(), "{}", delivered.status());
    let done: Value = http
        .post(format!("{base}/sandbox/orders/{flagged}/complete"))
        .json(&json!({"payout": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(done["data"]["payout_tx_hash"], Value::Null, "{done}");
    app.click("#earnings-refresh").await;
    wait_long(
        &app,
        "#earnings-missing-payouts:not([hidden])",
        Duration::from_secs(30),
    )
    .await;
    let warning = app.text("#earnings-missing-payouts").await;
    assert!(
        warning.starts_with(
            "1 completed order has no payout recorded — contact Atelier support with the order id."
        ),
        "{warning}"
    );
    assert_totals(&app, ["10.00", "0.00", "10.00", "10.00"]).await;
    app.wait_for(&format!(
        r#"#earnings-row-{flagged}[data-state="completed_no_payout"]"#
    ))
    .await;
    assert!(!app.is_present(&format!("#earnings-payout-{flagged}")).await);
    app.screenshot("5-no-payout-flagged").await;

    app.quit().await;
    eprintln!(
        "earnings story: {:.1} s in all; the save dialog answered in {:.1} s",
        started.elapsed().as_secs_f64(),
        dialog_took.as_secs_f64()
    );
}

/// Scrolls the element with `id` to the top of the window.
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

/// The four totals, in the order the screen shows them, as `data-usd` says.
async fn assert_totals(app: &AppUnderTest, expected: [&str; 4]) {
    let mut seen = Vec::new();
    for key in [
        "waiting_to_deliver",
        "in_review",
        "completed_this_month",
        "completed_all_time",
    ] {
        seen.push(
            app.attr(&format!("#earnings-total-{key}"), "data-usd")
                .await
                .unwrap_or_default(),
        );
    }
    assert_eq!(seen, expected, "waiting, in review, this month, all time");
}

/// A directory holding an `xdg-open` that appends its argument to `record`.
fn fake_opener(root: &Path, record: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = root.join("fake-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("xdg-open");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// A valid-looking Solana address (base58 of 32 bytes).
fn bs58_address(byte: u8) -> String {
    bs58::encode([byte; 32]).into_string()
}

async fn wait_for_file(path: &Path, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            if text.ends_with('\n') {
                return text;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} was never written: the opener was not called",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Finds the GTK save dialog ("Export all orders") on the virtual display, types `target`
/// into its name field and presses Return, as a person would; answers how long that took.
async fn answer_save_dialog(target: &Path) -> Duration {
    let started = Instant::now();
    let window = find_save_dialog().await;
    // No window manager under Xvfb: give the dialog the keyboard ourselves.
    xdotool(&["windowfocus", "--sync", &window]);
    // GTK selects the proposed name once the dialog has drawn; replace it all.
    tokio::time::sleep(Duration::from_millis(500)).await;
    xdotool(&["key", "--clearmodifiers", "ctrl+a"]);
    xdotool(&[
        "type",
        "--clearmodifiers",
        "--delay",
        "20",
        target.to_str().unwrap(),
    ]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    xdotool(&["key", "--clearmodifiers", "Return"]);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !target.exists() {
        assert!(
            Instant::now() < deadline,
            "nothing was written at {} after answering the dialog",
            target.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

/// The X window id of the save dialog, once it shows.
async fn find_save_dialog() -> String {
    let started = Instant::now();
    loop {
        let found = xdotool(&["search", "--onlyvisible", "--name", "^Export all orders$"]);
        if let Some(id) = found.lines().next().filter(|l| !l.is_empty()) {
            return id.to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the save dialog never appeared"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn xdotool(args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .output()
        .expect("xdotool is installed (scripts/setup test)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Records of an RFC 4180 text: fields split on commas, records on CRLF; a quoted field may
/// hold commas, CR, LF and doubled quotes. Panics on anything else (a bare quote inside an
/// unquoted field, text after a closing quote, a record not ended by CRLF).
fn parse_rfc4180(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => panic!("a quoted field never closed: {field:?}"),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c == '\r' {
                    break;
                }
                assert!(c != '"' && c != '\n', "a bare {c:?} in {field:?}");
                field.push(c);
                chars.next();
            }
        }
        record.push(field);
        match chars.next() {
            Some(',') => continue,
            Some('\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF after {record:?}");
                records.push(std::mem::take(&mut record));
                if chars.peek().is_none() {
                    return records;
                }
            }
            other => panic!("{other:?} after a field of {record:?}"),
        }
    }
}
