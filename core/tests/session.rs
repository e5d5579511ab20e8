//! The session in core, without any window: what a creator keeps when things around the
//! registration fail.

use std::sync::Arc;

use atelier_core::models::NewAgent;
use atelier_core::secrets::MemoryKeyring;
use atelier_core::session::{Session, SessionPaths};
use atelier_core::settings::Mode;
use secrecy::ExposeSecret;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("atelier-session-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn agent() -> NewAgent {
    NewAgent {
        name: "Neon Avatars".into(),
        description: "Cyberpunk avatars in any style".into(),
        endpoint_url: "https://neon.example.com".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_registration_hands_over_its_key_even_when_settings_cannot_be_saved() {
    let dir = scratch("unsaveable");
    let session = Session::open(
        SessionPaths {
            settings_file: dir.join("settings.json"),
            practice_data: dir.join("practice.json"),
        },
        Arc::new(MemoryKeyring::new()),
    )
    .await;
    session
        .choose_mode(Mode::Practice, None, false)
        .await
        .unwrap();

    // From now on the settings file cannot be written: a folder stands where it goes.
    std::fs::remove_file(dir.join("settings.json")).unwrap();
    std::fs::create_dir_all(dir.join("settings.json").join("blocked")).unwrap();

    let registered = session
        .register(&agent())
        .await
        .expect("the agent exists, so its key must come back");
    assert!(registered.api_key.expose_secret().starts_with("atelier_"));
    assert!(registered.view.signed_in);
    let notice = registered.view.notice.expect("the creator is told");
    assert!(notice.contains("sign in again"), "{notice}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn damaged_practice_data_is_set_aside_and_practice_starts_afresh() {
    let dir = scratch("damaged-practice");
    let keys = MemoryKeyring::new();
    let paths = SessionPaths {
        settings_file: dir.join("settings.json"),
        practice_data: dir.join("practice-marketplace.json"),
    };
    // The creator practised before, then the practice data was damaged.
    let session = Session::open(paths.clone(), Arc::new(keys.clone())).await;
    session
        .choose_mode(Mode::Practice, None, false)
        .await
        .unwrap();
    session.register(&agent()).await.unwrap();
    drop(session);
    std::fs::write(&paths.practice_data, "{\"agents\": [{\"id\": \"ext_").unwrap();

    let session = Session::open(paths.clone(), Arc::new(keys.clone())).await;
    let view = session.view().await;
    assert_eq!(view.mode, Some(Mode::Practice));
    assert!(view.base_url.is_some(), "Practice mode runs: {view:?}");
    let notice = view.notice.expect("the creator is told");
    assert!(
        notice.contains("practice-marketplace.json.damaged-"),
        "{notice}"
    );
    assert!(
        !view.signed_in,
        "the practice account was in the damaged data"
    );
    assert!(keys.is_empty(), "its key went with it");
    let kept: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("practice-marketplace.json.damaged-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the damaged file is kept for a person");

    // Practice mode works again from scratch, and stays that way after a restart.
    session.register(&agent()).await.unwrap();
    drop(session);
    let session = Session::open(paths, Arc::new(keys.clone())).await;
    let view = session.view().await;
    assert!(view.signed_in && view.notice.is_none(), "{view:?}");
    std::fs::remove_dir_all(&dir).ok();
}
