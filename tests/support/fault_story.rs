//! A story played against the freshly built app (`tests/e2e/faults.rs`) and the installed
//! release build (`tests/installed`): the app, signed in to a real-mode marketplace that
//! misbehaves at first (`atelier_tests::faults`), stays up, and once the marketplace is
//! well again announces a paid order with one desktop notification.

use std::path::Path;
use std::time::{Duration, Instant};

use atelier_core::secrets::{account_name, KeyStore, OsKeyring};

use crate::desktop::{LaunchedApp, READY_LINE};
use crate::e2e::{NotificationSpy, TestProfile};
use crate::faults::{Fault, FaultProxy, Hit, Pattern, When};
use crate::stories::{describe, sign_in_without_the_ui, KEYRING_SERVICE};
use crate::tray::{StandInWatcher, Tray};

/// Generous: a debug build's first paint on a loaded two-core machine.
const START: Duration = Duration::from_secs(30);
/// Check now waits for the watcher's minimum gap between polls (10 s).
const POLL_WAIT: Duration = Duration::from_secs(40);
const QUIT: Duration = Duration::from_secs(10);
const NOTIFY_WAIT: Duration = Duration::from_secs(40);
/// How long the app must have been up, through the faults, before it is asked to quit.
const STAY_UP: Duration = Duration::from_secs(10);

fn polls(hits: &[Hit]) -> usize {
    hits.iter()
        .filter(|h| h.is("GET", "/orders?status="))
        .count()
}

/// Fails the story if the app is no longer running, with its last words.
fn still_running(app: &mut LaunchedApp, after: &str) {
    if let Some(status) = app.wait_exit(Duration::ZERO) {
        let panicked: Vec<String> = app
            .lines_containing("panicked")
            .into_iter()
            .take(3)
            .collect();
        panic!(
            "the app died after {after}: {}\n{}\n{}",
            describe(status),
            panicked.join("\n"),
            app.stderr_tail()
        );
    }
}

/// Waits until the watcher has polled `n` times in all, or fails the story (at once if
/// the app died meanwhile).
async fn wait_for_polls(proxy: &FaultProxy, app: &mut LaunchedApp, n: usize, what: &str) {
    let deadline = Instant::now() + POLL_WAIT;
    loop {
        if proxy
            .wait_for(|hits| polls(hits) >= n, Duration::from_millis(250))
            .await
        {
            return;
        }
        still_running(app, what);
        if Instant::now() >= deadline {
            panic!(
                "{what}: poll {n} not seen within {} s; the marketplace saw {:#?}\n{}",
                POLL_WAIT.as_secs(),
                proxy.hits(),
                app.stderr_tail()
            );
        }
    }
}

/// The app signed in against a marketplace behind a fault proxy:
///
/// 1. The app's first calls other than the watcher's look for paid orders (today one: the
///    page's list of services) meet a 429 asking for `18446744073709551615` seconds, with
///    a reset time as absurd (two of them), then a captive portal's HTML, then a 500.
/// 2. The watcher's look for paid orders meets a 429 with a garbled `Retry-After` (`-5`)
///    and a reset two seconds away, then the captive portal, then two 500s, then passes.
///    (Not the absurd 429: obeyed as it must be, clamped to two hours, it would keep the
///    watcher away for the rest of the story. `tests/watcher/faults.rs` checks that wait.)
///    The tray's Check for orders now cuts each backoff short, as a creator would.
/// 3. The faults stop; a client pays an order on the marketplace; Check for orders now;
///    one desktop notification announces it, and no second one follows.
///
/// Throughout, the app must stay up (at least [`STAY_UP`]), and it quits with status 0 on
/// SIGTERM, leaving nothing behind.
pub async fn faulty_marketplace_story(binary: &Path) {
    let sandbox = crate::sandbox().await;
    let proxy = FaultProxy::start(&sandbox.base_url()).await;
    let profile = TestProfile::new().await;
    let creator = sign_in_without_the_ui(&profile, &sandbox.base_url(), &proxy.base_url()).await;
    let account = account_name("live", &creator.agent_id);
    let key = tokio::task::spawn_blocking(move || OsKeyring::new(KEYRING_SERVICE).read(&account))
        .await
        .unwrap()
        .expect("the keyring answers")
        .expect("the key is in the keyring");
    let service_id = crate::client(&sandbox)
        .signed_in(key)
        .services(&creator.agent_id)
        .await
        .expect("the creator's services")
        .first()
        .expect("one service")
        .id
        .clone();

    let others = || !Pattern::watcher_poll();
    proxy.times(2, others(), Fault::absurd_429());
    proxy.times(1, others(), Fault::Garbage);
    proxy.times(1, others(), Fault::Status(500));
    let poll = Pattern::watcher_poll;
    proxy.times(
        1,
        poll(),
        Fault::too_many(Some(When::text("-5")), Some(When::UnixIn(2))),
    );
    proxy.times(1, poll(), Fault::Garbage);
    proxy.times(2, poll(), Fault::Status(500));

    let spy = NotificationSpy::start(&profile).await;
    let panel = StandInWatcher::start().await;
    let started = Instant::now();
    let mut app = LaunchedApp::start(binary, &profile, &[]);
    if app.wait_for_line(READY_LINE, START).is_none() {
        still_running(&mut app, "starting");
        panic!(
            "no window within {} s\n{}",
            START.as_secs(),
            app.stderr_tail()
        );
    }
    let tray: Tray = panel.tray(START).await;

    // The 429, then the watcher's own retry once the reset time has passed: the portal.
    wait_for_polls(&proxy, &mut app, 2, "a 429 with a garbled wait").await;
    still_running(&mut app, "a 429 with a garbled wait, then a captive portal");
    // Then a 500, another, and a clean look: Check now cuts each backoff short.
    for (n, what) in [
        (3, "the first 500"),
        (4, "the second 500"),
        (5, "the clean look"),
    ] {
        tray.click("Check for orders now").await;
        wait_for_polls(&proxy, &mut app, n, what).await;
        still_running(&mut app, what);
    }
    let faults: Vec<String> = proxy
        .hits()
        .iter()
        .filter(|h| h.is("GET", "/orders?status="))
        .map(|h| h.fault.clone())
        .collect();
    assert_eq!(
        faults,
        ["429", "garbage", "500", "500", "pass"],
        "{:#?}",
        proxy.hits()
    );
    let first_other = proxy
        .hits()
        .into_iter()
        .find(|h| !h.is("GET", "/orders?status="))
        .unwrap_or_else(|| panic!("the app made no other call: {:#?}", proxy.hits()));
    assert_eq!(
        first_other.fault,
        "429",
        "the app's first other call met the absurd 429: {:#?}",
        proxy.hits()
    );
    proxy.clear();
    assert_eq!(
        spy.all()
            .iter()
            .filter(|n| n.summary.starts_with("New order"))
            .count(),
        0,
        "nothing to announce yet: {:?}",
        spy.all()
    );

    // Well again: a client pays, the creator asks, one notification.
    let placed =
        crate::client_orders(&sandbox, &service_id, "A neon fox avatar for my stream").await;
    let paid_at = Instant::now();
    tray.click("Check for orders now").await;
    let announced = loop {
        let Some(notify) = spy.wait_for_notify(NOTIFY_WAIT).await else {
            still_running(&mut app, "the order was paid");
            panic!(
                "no notification within {} s of the order {} being paid; the marketplace saw {:#?}\n{}",
                NOTIFY_WAIT.as_secs(),
                placed["id"],
                proxy.hits(),
                app.stderr_tail()
            );
        };
        eprintln!("notification: {notify:?}");
        if notify.summary.starts_with("New order") {
            break notify;
        }
    };
    eprintln!(
        "announced {} ms after payment: {:?} / {:?}",
        paid_at.elapsed().as_millis(),
        announced.summary,
        announced.body
    );
    assert!(
        announced.summary.contains("Cyberpunk avatar") && announced.summary.contains("$25.00"),
        "{announced:?}"
    );
    assert!(announced.body.contains("neon fox"), "{announced:?}");

    // Exactly once: another look finds the order known.
    let before = polls(&proxy.hits());
    tray.click("Check for orders now").await;
    wait_for_polls(&proxy, &mut app, before + 1, "one more look").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let new_order_notes = spy
        .all()
        .into_iter()
        .filter(|n| n.summary.starts_with("New order"))
        .count();
    assert_eq!(new_order_notes, 1, "{:?}", spy.all());
    assert!(
        proxy
            .hits()
            .iter()
            .all(|h| h.authorized || h.is("POST", "/agents/register")),
        "the app always sent its key: {:#?}",
        proxy.hits()
    );

    // Up all along, and a clean exit.
    let up = started.elapsed();
    if up < STAY_UP {
        tokio::time::sleep(STAY_UP - up).await;
    }
    still_running(&mut app, "the whole story");
    let family = app.processes();
    let status = app.quit(QUIT).unwrap_or_else(|| {
        panic!(
            "still running {} s after SIGTERM\n{}",
            QUIT.as_secs(),
            app.stderr_tail()
        )
    });
    assert_eq!(
        status.code(),
        Some(0),
        "a clean exit, not {}\n{}",
        describe(status),
        app.stderr_tail()
    );
    assert_eq!(
        family.gone_within(Duration::from_secs(5)),
        Vec::<u32>::new(),
        "nothing outlives the app"
    );
    for hit in proxy.hits() {
        eprintln!(
            "  {:>6} ms {hit:?}",
            hit.at.duration_since(started).as_millis()
        );
    }
}

/// The app signed in against a marketplace that answers everything with a 429 asking for
/// `18446744073709551615` seconds (and a reset time as absurd): it stays up, looks for
/// orders once, then keeps away — Check for orders now does not cut a 429 short — and
/// quits with status 0 on SIGTERM. The wait itself (two hours at most) is checked in
/// `tests/watcher/faults.rs`; here, that the whole app survives the number.
pub async fn absurd_rate_limit_story(binary: &Path) {
    let sandbox = crate::sandbox().await;
    let proxy = FaultProxy::start(&sandbox.base_url()).await;
    let profile = TestProfile::new().await;
    sign_in_without_the_ui(&profile, &sandbox.base_url(), &proxy.base_url()).await;
    proxy.always(Pattern::any(), Fault::absurd_429());

    let panel = StandInWatcher::start().await;
    let started = Instant::now();
    let mut app = LaunchedApp::start(binary, &profile, &[]);
    if app.wait_for_line(READY_LINE, START).is_none() {
        still_running(&mut app, "starting");
        panic!(
            "no window within {} s\n{}",
            START.as_secs(),
            app.stderr_tail()
        );
    }
    wait_for_polls(&proxy, &mut app, 1, "the first look at the orders").await;
    let tray: Tray = panel.tray(START).await;
    tray.click("Check for orders now").await;
    let up = started.elapsed();
    tokio::time::sleep(STAY_UP.saturating_sub(up).max(Duration::from_secs(3))).await;
    still_running(&mut app, "ten seconds of 429s asking for u64::MAX seconds");
    assert_eq!(
        polls(&proxy.hits()),
        1,
        "the watcher kept away after the 429: {:#?}",
        proxy.hits()
    );
    assert!(proxy.hits().iter().all(|h| h.fault == "429"));

    let family = app.processes();
    let status = app.quit(QUIT).unwrap_or_else(|| {
        panic!(
            "still running {} s after SIGTERM\n{}",
            QUIT.as_secs(),
            app.stderr_tail()
        )
    });
    assert_eq!(
        status.code(),
        Some(0),
        "a clean exit, not {}\n{}",
        describe(status),
        app.stderr_tail()
    );
    assert_eq!(
        family.gone_within(Duration::from_secs(5)),
        Vec::<u32>::new(),
        "nothing outlives the app"
    );
}
