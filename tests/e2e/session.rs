//! The private desktop session itself: what the stories rely on.

use std::time::Duration;

use atelier_tests::e2e::{notification_server_is_running, NotificationSpy, TestProfile};

#[tokio::test]
async fn the_notification_spy_sees_each_notify_call_once() {
    let profile = TestProfile::new().await;
    assert!(
        notification_server_is_running().await,
        "the session has a notification server"
    );
    let spy = NotificationSpy::start(&profile).await;
    assert_eq!(spy.count(), 0);

    let sent = tokio::task::spawn_blocking(|| {
        std::process::Command::new("notify-send")
            .args([
                "--app-name",
                "Atelier E2E",
                "New order",
                "Neon avatar pack, $7.50",
            ])
            .status()
            .expect("notify-send runs (package libnotify-bin)")
    })
    .await
    .unwrap();
    assert!(sent.success());

    let notify = spy
        .wait_for_notify(Duration::from_secs(5))
        .await
        .expect("the spy sees the Notify call");
    assert_eq!(notify.app_name, "Atelier E2E");
    assert_eq!(notify.summary, "New order");
    assert_eq!(notify.body, "Neon avatar pack, $7.50");

    assert_eq!(spy.wait_for_notify(Duration::from_millis(500)).await, None);
    assert_eq!(spy.count(), 1, "exactly one Notify call: {:?}", spy.all());
}

#[tokio::test]
async fn the_session_keyring_keeps_a_secret_between_entries() {
    let _profile = TestProfile::new().await;
    // keyring 3's API blocks: keep it off the async runtime.
    tokio::task::spawn_blocking(|| {
        let service = "atelier-e2e-session-check";
        let stored = keyring::Entry::new(service, "creator").unwrap();
        stored
            .set_password("sk_test_not_a_real_key")
            .expect("the Secret Service stores a secret");
        // A new Entry reads from the keyring itself, not from memory.
        let read = keyring::Entry::new(service, "creator").unwrap();
        assert_eq!(read.get_password().unwrap(), "sk_test_not_a_real_key");
        read.delete_credential().unwrap();
        assert!(matches!(
            keyring::Entry::new(service, "creator")
                .unwrap()
                .get_password(),
            Err(keyring::Error::NoEntry)
        ));
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_new_profile_starts_with_an_empty_keyring() {
    let service = "atelier-e2e-leftover";
    {
        let _earlier_story = TestProfile::named("keyring-leftover-1").await;
        tokio::task::spawn_blocking(move || {
            keyring::Entry::new(service, "creator")
                .unwrap()
                .set_password("left behind")
                .unwrap();
        })
        .await
        .unwrap();
    }
    let _next_story = TestProfile::named("keyring-leftover-2").await;
    let left = tokio::task::spawn_blocking(move || {
        keyring::Entry::new(service, "creator")
            .unwrap()
            .get_password()
    })
    .await
    .unwrap();
    assert!(matches!(left, Err(keyring::Error::NoEntry)), "{left:?}");
}
