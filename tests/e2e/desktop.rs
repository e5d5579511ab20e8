//! Living on the desktop: launched from the menu or at login, launched twice, told to quit,
//! set to start on login.

use std::time::Duration;

use atelier_tests::desktop::{LaunchedApp, READY_LINE};
use atelier_tests::e2e::{app_binary, TestProfile, READY};

use crate::story::{on_screen, open_in_practice_mode};

/// Generous: a debug build's first paint on a loaded two-core machine.
const START: Duration = Duration::from_secs(30);
const QUIT: Duration = Duration::from_secs(10);

/// The app's single-instance names on the session bus: one per running copy.
async fn instance_names() -> Vec<String> {
    let connection = zbus::Connection::session().await.expect("the session bus");
    let dbus = zbus::fdo::DBusProxy::new(&connection).await.unwrap();
    dbus.list_names()
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.to_string())
        .filter(|n| n.starts_with("fun.agentgram.atelier-desk.") && n.ends_with(".SingleInstance"))
        .collect()
}

async fn wait_for_instance(present: bool) -> Vec<String> {
    for _ in 0..300 {
        let names = instance_names().await;
        if names.is_empty() != present {
            return names;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the single-instance name is still {}",
        if present { "missing" } else { "taken" }
    );
}

#[tokio::test]
async fn the_app_opens_its_window_and_quits_cleanly_leaving_nothing_behind() {
    let profile = TestProfile::new().await;
    let mut app = LaunchedApp::start(&app_binary(), &profile, &[]);
    let (after, line) = app
        .wait_for_line(READY_LINE, START)
        .unwrap_or_else(|| panic!("no window reported ready\n{}", app.stderr_tail()));
    eprintln!("first screen after {} ms: {line}", after.as_millis());
    let family = app.processes();
    assert!(
        family.len() >= 2,
        "the app and at least WebKit's web process: {family:?}"
    );
    assert_eq!(wait_for_instance(true).await.len(), 1);

    let status = app
        .quit(QUIT)
        .unwrap_or_else(|| panic!("still running {} s after SIGTERM", QUIT.as_secs()));
    assert_eq!(status.code(), Some(0), "a clean exit: {status:?}");
    assert_eq!(
        family.gone_within(Duration::from_secs(5)),
        Vec::<u32>::new(),
        "no WebKit helper outlives the app"
    );
    wait_for_instance(false).await;

    // The name is free again: the next launch is a first launch, not a hand-over.
    let mut again = LaunchedApp::start(&app_binary(), &profile, &[]);
    again
        .wait_for_line(READY_LINE, START)
        .unwrap_or_else(|| panic!("the app did not open again\n{}", again.stderr_tail()));
    assert_eq!(again.quit(QUIT).and_then(|s| s.code()), Some(0));
}

#[tokio::test]
async fn started_at_login_it_waits_in_the_background_until_opened_from_the_menu() {
    let profile = TestProfile::new().await;
    let mut at_login = LaunchedApp::start(&app_binary(), &profile, &["--background"]);
    wait_for_instance(true).await;
    // Running, watching, but no window: nothing reports a painted screen.
    assert_eq!(
        at_login.wait_for_line(READY_LINE, Duration::from_secs(3)),
        None,
        "a start on login opened a window"
    );

    // The creator opens it from the menu: the new launch hands over and leaves...
    let mut from_menu = LaunchedApp::start(&app_binary(), &profile, &[]);
    let status = from_menu.wait_exit(START).unwrap_or_else(|| {
        panic!(
            "the second launch kept running\n{}",
            from_menu.stderr_tail()
        )
    });
    assert_eq!(status.code(), Some(0), "{}", from_menu.stderr_tail());
    assert!(
        from_menu.lines_containing(READY_LINE).is_empty(),
        "the second launch opened a window of its own"
    );
    // ...and the running copy opens its window.
    at_login
        .wait_for_line(READY_LINE, START)
        .unwrap_or_else(|| {
            panic!(
                "the running app did not open its window\n{}",
                at_login.stderr_tail()
            )
        });
    assert_eq!(instance_names().await.len(), 1, "still one running copy");

    assert_eq!(at_login.quit(QUIT).and_then(|s| s.code()), Some(0));
}

#[tokio::test]
async fn a_second_profile_is_a_separate_app() {
    // Two copies on two data directories do not see each other (every test relies on it,
    // and so would two users sharing a bus).
    let first = TestProfile::new().await;
    let mut one = LaunchedApp::start(&app_binary(), &first, &["--background"]);
    wait_for_instance(true).await;
    let other = tempfile::tempdir().unwrap();
    let mut two = LaunchedApp::start_in(&app_binary(), &first, other.path(), &["--background"]);
    for _ in 0..300 {
        if instance_names().await.len() == 2 {
            break;
        }
        assert_eq!(
            two.wait_exit(Duration::from_millis(100)),
            None,
            "{}",
            two.stderr_tail()
        );
    }
    assert_eq!(instance_names().await.len(), 2);
    assert_eq!(two.quit(QUIT).and_then(|s| s.code()), Some(0));
    assert_eq!(one.quit(QUIT).and_then(|s| s.code()), Some(0));
}

#[tokio::test]
async fn the_creator_sets_the_app_to_start_on_login_from_settings() {
    let profile = TestProfile::new().await;
    let autostart = profile
        .home()
        .join(".config/autostart/Atelier Desk.desktop");
    let app = open_in_practice_mode(&profile).await;
    app.click("#nav-settings").await;
    on_screen(&app, "settings").await;
    app.wait_for(r#"#pref-start-on-login[data-state="off"]"#)
        .await;
    app.wait_for(r#"#pref-notifications[data-state="on"]"#)
        .await;
    assert!(!autostart.exists());

    app.click("#pref-start-on-login").await;
    app.wait_for(r#"#pref-start-on-login[data-state="on"]"#)
        .await;
    let entry = std::fs::read_to_string(&autostart).expect("an autostart entry");
    let exec = entry
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .expect("an Exec line");
    assert_eq!(
        exec,
        format!("{} --background", app_binary().display()),
        "it starts this app, in the background"
    );
    app.click("#pref-notifications").await;
    app.wait_for(r#"#pref-notifications[data-state="off"]"#)
        .await;
    app.screenshot("preferences").await;

    // Both stick: start on login is read back from the desktop, notifications from settings.
    let app = app.restart().await;
    app.wait_for(READY).await;
    app.click("#nav-settings").await;
    app.wait_for(r#"#pref-start-on-login[data-state="on"]"#)
        .await;
    app.wait_for(r#"#pref-notifications[data-state="off"]"#)
        .await;

    app.click("#pref-start-on-login").await;
    app.wait_for(r#"#pref-start-on-login[data-state="off"]"#)
        .await;
    assert!(!autostart.exists(), "turning it off removes the entry");
    app.quit().await;
}

#[tokio::test]
async fn logging_out_while_the_app_is_still_starting_quits_it_cleanly() {
    let profile = TestProfile::new().await;
    let mut app = LaunchedApp::start(&app_binary(), &profile, &[]);
    // As soon as it is on the bus, before its window, session and tray exist.
    wait_for_instance(true).await;
    let status = app
        .quit(QUIT)
        .unwrap_or_else(|| panic!("still running after SIGTERM\n{}", app.stderr_tail()));
    assert_eq!(
        status.code(),
        Some(0),
        "quit, not killed by the signal: {status:?}\n{}",
        app.stderr_tail()
    );
    wait_for_instance(false).await;
}
