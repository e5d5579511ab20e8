//! Stories that more than one test binary plays: the same steps against the freshly built
//! app (`tests/e2e`) and against the installed package (`tests/installed`).

use std::path::Path;
use std::time::Duration;

use atelier_core::secrets::{account_name, KeyStore, OsKeyring};
use secrecy::SecretString;

use crate::desktop::{LaunchedApp, READY_LINE};
use crate::e2e::TestProfile;
use crate::recorder::{Recorder, Seen};
use crate::tray::{StandInWatcher, Tray};
use crate::{agent_form, client_for, service_form};

/// Generous: a debug build's first paint on a loaded two-core machine.
const START: Duration = Duration::from_secs(30);
const QUIT: Duration = Duration::from_secs(10);
/// Check now waits for the watcher's minimum gap between polls (10 s) after the first one.
const POLL_WAIT: Duration = Duration::from_secs(30);
const TRAY_WAIT: Duration = Duration::from_secs(30);
const RELABEL: Duration = Duration::from_secs(10);

/// The name the app files its API key under (src-tauri's `KEYRING_SERVICE`).
pub const KEYRING_SERVICE: &str = "Atelier Desk";

/// The tray menu of a signed-in app, top to bottom (the separator left out).
pub const TRAY_MENU: [&str; 4] = [
    "Open Atelier Desk",
    "Check for orders now",
    "Pause watching",
    "Quit",
];

/// How the app is started for [`tray_story`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// From the menu: the window opens at once.
    Window,
    /// At login (`--background`): no window until the creator opens it from the tray.
    Background,
}

/// A creator signed in to a real-mode marketplace, set up the way the app leaves things
/// after sign-in (settings file and keyring), without going through the UI.
pub struct SignedIn {
    pub agent_id: String,
}

/// Registers a creator with one service on the marketplace at `upstream` (directly, not
/// through the app), then writes the profile's settings so the app starts in real mode
/// against `app_base_url`, signed in with that creator's key in the session keyring.
pub async fn sign_in_without_the_ui(
    profile: &TestProfile,
    upstream: &str,
    app_base_url: &str,
) -> SignedIn {
    let anonymous = client_for(upstream);
    let registration = anonymous
        .register(&agent_form("Neon Studio"))
        .await
        .expect("registration succeeds");
    let signed_in = anonymous.signed_in(registration.api_key.clone());
    signed_in
        .create_service(
            &registration.agent_id,
            &service_form("Cyberpunk avatar", "25.00"),
        )
        .await
        .expect("the service is created");

    // core/src/settings.rs `Settings`, as the app saves it after a real-mode sign-in.
    let settings = serde_json::json!({
        "mode": "live",
        "live_base_url": app_base_url,
        "live": { "agent_id": registration.agent_id },
    });
    std::fs::create_dir_all(profile.config_dir()).unwrap();
    std::fs::write(
        profile.config_dir().join("settings.json"),
        serde_json::to_vec_pretty(&settings).unwrap(),
    )
    .unwrap();

    // The same keyring backend and entry names as the app (atelier-core's OsKeyring).
    let account = account_name("live", &registration.agent_id);
    let key: SecretString = registration.api_key;
    tokio::task::spawn_blocking(move || OsKeyring::new(KEYRING_SERVICE).write(&account, &key))
        .await
        .unwrap()
        .expect("the session keyring takes the key");
    SignedIn {
        agent_id: registration.agent_id,
    }
}

/// Fails the story, saying how, if the app is no longer running.
fn still_running(app: &mut LaunchedApp, after: &str) {
    if let Some(status) = app.wait_exit(Duration::ZERO) {
        panic!(
            "the app died after {after}: {}\n{}{}",
            describe(status),
            panic_message(app),
            app.stderr_tail()
        );
    }
}

/// `exit status 101`, or `killed by signal 6 (SIGABRT)`, for failure messages.
pub fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => {
            let name = match signal {
                libc::SIGABRT => " (SIGABRT)",
                libc::SIGSEGV => " (SIGSEGV)",
                libc::SIGKILL => " (SIGKILL)",
                libc::SIGTERM => " (SIGTERM)",
                _ => "",
            };
            format!(
                "killed by signal {signal}{name}{}",
                if status.core_dumped() {
                    ", core dumped"
                } else {
                    ""
                }
            )
        }
        _ => format!("{status:?}"),
    }
}

/// The app's own panic message, if it printed one: a backtrace after it would push it out
/// of [`LaunchedApp::stderr_tail`].
fn panic_message(app: &LaunchedApp) -> String {
    let lines = app.lines_containing("");
    let Some(at) = lines.iter().position(|l| l.contains("panicked at")) else {
        return String::new();
    };
    let message: Vec<&str> = lines[at..]
        .iter()
        .take_while(|l| !l.starts_with("stack backtrace:") && !l.starts_with("note:"))
        .take(5)
        .map(String::as_str)
        .collect();
    format!("--- the app panicked ---\n{}\n", message.join("\n"))
}

/// Waits for `pred` on the recorder, or fails the story: saying so at once if the app died
/// meanwhile (a crash is not a slow server).
async fn wait_on_recorder(
    recorder: &Recorder,
    app: &mut LaunchedApp,
    what: &str,
    timeout: Duration,
    pred: impl Fn(&[Seen]) -> bool,
) {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let step = Duration::from_millis(250)
            .min(deadline.saturating_duration_since(std::time::Instant::now()));
        if recorder.wait_for(&pred, step).await {
            return;
        }
        still_running(app, &format!("waiting for {what}"));
        if std::time::Instant::now() >= deadline {
            panic!(
                "{what}: not seen within {} s; the marketplace saw {:#?}\n{}",
                timeout.as_secs(),
                recorder.requests(),
                app.stderr_tail()
            );
        }
    }
}

/// Waits for the tray entry `old` to read `new`, or fails the story, saying so at once if
/// the app died meanwhile.
async fn wait_for_relabel(tray: &Tray, app: &mut LaunchedApp, old: &str, new: &str) {
    let deadline = std::time::Instant::now() + RELABEL;
    loop {
        still_running(app, &format!("clicking {old:?}"));
        let labels: Vec<String> = match tray.try_entries().await {
            Ok(entries) => entries.into_iter().map(|e| e.label).collect(),
            Err(e) => {
                still_running(app, &format!("clicking {old:?}"));
                panic!("reading the tray menu after clicking {old:?}: {e}");
            }
        };
        if labels.iter().any(|l| l == new) && !labels.iter().any(|l| l == old) {
            return;
        }
        if std::time::Instant::now() >= deadline {
            panic!(
                "the tray entry {old:?} did not become {new:?} within {} s; the menu: {labels:?}",
                RELABEL.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The tray, clicked over D-Bus, on a signed-in app in real mode: Open shows the window,
/// Check for orders now makes exactly one more look at the orders, Pause and Resume relabel
/// the entry (and Resume looks again), Quit ends the app cleanly with nothing left behind.
/// The marketplace is a sandbox behind a [`Recorder`], so the story sees the app's calls.
pub async fn tray_story(binary: &Path, start: Start) {
    let sandbox = crate::sandbox().await;
    let recorder = Recorder::start(&sandbox.base_url()).await;
    let profile = TestProfile::new().await;
    let creator = sign_in_without_the_ui(&profile, &sandbox.base_url(), &recorder.base_url()).await;
    let orders = format!("/agents/{}/orders", creator.agent_id);
    let polls = |seen: &[Seen]| seen.iter().filter(|s| s.is("GET", &orders)).count();

    // The panel first: libayatana only registers with a watcher that is already there.
    let watcher = StandInWatcher::start().await;
    let args: &[&str] = match start {
        Start::Window => &[],
        Start::Background => &["--background"],
    };
    let mut app = LaunchedApp::start(binary, &profile, args);

    // Signed in: the watcher looks at the orders at once, with the key.
    wait_on_recorder(
        &recorder,
        &mut app,
        "the first look at the orders",
        START,
        |s| polls(s) >= 1,
    )
    .await;
    let first = recorder
        .requests()
        .into_iter()
        .find(|s| s.is("GET", &orders))
        .unwrap();
    assert!(
        first.authorized,
        "the app came up signed out: {first:?}\n{}",
        app.stderr_tail()
    );

    let tray = watcher.tray(TRAY_WAIT).await;
    eprintln!(
        "tray item {:?}, menu at {}, entries {:?}",
        tray.item(),
        tray.menu_path(),
        tray.entries().await
    );
    assert_eq!(tray.labels().await, TRAY_MENU, "the tray menu");
    assert!(
        tray.entries().await.iter().all(|e| e.enabled),
        "every entry can be clicked: {:?}",
        tray.entries().await
    );

    // Open: the window is there (a start at login has none until now).
    match start {
        Start::Window => {
            app.wait_for_line(READY_LINE, START)
                .unwrap_or_else(|| panic!("no window reported ready\n{}", app.stderr_tail()));
            tray.click("Open Atelier Desk").await;
        }
        Start::Background => {
            assert_eq!(
                app.wait_for_line(READY_LINE, Duration::from_secs(2)),
                None,
                "a start at login opened a window"
            );
            tray.click("Open Atelier Desk").await;
            if app.wait_for_line(READY_LINE, START).is_none() {
                still_running(&mut app, "Open Atelier Desk");
                panic!("Open Atelier Desk showed no window\n{}", app.stderr_tail());
            }
        }
    }
    still_running(&mut app, "Open Atelier Desk");

    // The page reads the inbox when it opens: let those calls settle before counting.
    assert!(
        recorder
            .wait_quiet(Duration::from_secs(3), Duration::from_secs(30))
            .await,
        "the app kept calling the marketplace: {:#?}",
        recorder.requests()
    );

    // Check now: one more look at the orders, and the app carries on.
    let before = polls(&recorder.requests());
    let clicked = std::time::Instant::now();
    tray.click("Check for orders now").await;
    wait_on_recorder(
        &recorder,
        &mut app,
        "a look at the orders after Check for orders now",
        POLL_WAIT,
        |s| polls(s) > before,
    )
    .await;
    eprintln!(
        "Check for orders now: a look at the orders {} ms after the click",
        clicked.elapsed().as_millis()
    );
    recorder
        .wait_quiet(Duration::from_secs(2), Duration::from_secs(10))
        .await;
    assert_eq!(
        polls(&recorder.requests()),
        before + 1,
        "exactly one more look at the orders: {:#?}",
        recorder.requests()
    );
    still_running(&mut app, "Check for orders now");

    // Pause, then Resume: the entry says what a click will do.
    let clicked = std::time::Instant::now();
    tray.click("Pause watching").await;
    still_running(&mut app, "Pause watching");
    wait_for_relabel(&tray, &mut app, "Pause watching", "Resume watching").await;
    eprintln!(
        "relabelled {} ms after the click",
        clicked.elapsed().as_millis()
    );
    still_running(&mut app, "Pause watching");

    let before = polls(&recorder.requests());
    tray.click("Resume watching").await;
    wait_for_relabel(&tray, &mut app, "Resume watching", "Pause watching").await;
    // Resuming looks again as soon as the budget allows.
    wait_on_recorder(
        &recorder,
        &mut app,
        "a look at the orders after Resume watching",
        POLL_WAIT,
        |s| polls(s) > before,
    )
    .await;
    still_running(&mut app, "Resume watching");
    assert!(
        recorder.requests().iter().all(|s| s.authorized),
        "every call carried the key: {:#?}",
        recorder.requests()
    );

    // Quit: a clean exit, nothing left running, the icon gone from the bus.
    let family = app.processes();
    tray.click("Quit").await;
    let status = app.wait_exit(QUIT).unwrap_or_else(|| {
        panic!(
            "still running {} s after Quit\n{}",
            QUIT.as_secs(),
            app.stderr_tail()
        )
    });
    assert_eq!(
        status.code(),
        Some(0),
        "a clean exit, not {}\n{}{}",
        describe(status),
        panic_message(&app),
        app.stderr_tail()
    );
    assert_eq!(
        family.gone_within(Duration::from_secs(5)),
        Vec::<u32>::new(),
        "nothing outlives the app"
    );
    assert!(!tray.is_on_the_bus().await, "the tray item left the bus");
    for seen in recorder.requests() {
        eprintln!(
            "  {:>6} ms {} {} {}{:?}",
            seen.at.duration_since(first.at).as_millis(),
            seen.method,
            seen.path,
            if seen.authorized { "(key) " } else { "" },
            seen.status
        );
    }
}
