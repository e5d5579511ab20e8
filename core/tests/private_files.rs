//! What Atelier Desk remembers about a creator's orders, deliveries, settings and calls is
//! theirs alone: on a shared computer other accounts cannot read it.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use atelier_core::models::{Delivery, Order};
use atelier_core::settings::{Mode, Settings, SettingsFile};
use atelier_core::watcher::{
    Budget, CallKind, CallLedger, PendingDeliveries, SeenOrders, DELIVERIES_FILE, SEEN_FILE,
};
use serde_json::json;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn orders_deliveries_settings_and_the_call_count_are_readable_by_their_owner_only() {
    let root = std::env::temp_dir().join(format!(
        "atelier-private-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    ));
    let app_dir = root.join("app");
    let agent_dir = app_dir.join("agents").join("ext_1");
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);

    let mut settings = Settings {
        mode: Some(Mode::Live),
        ..Default::default()
    };
    settings.account_mut(Mode::Live).agent_id = Some("ext_1".into());
    SettingsFile::new(app_dir.join("settings.json"))
        .save(&settings)
        .unwrap();

    let mut ledger =
        CallLedger::open(&app_dir.join("rate-ledger.json"), Budget::default()).unwrap();
    ledger.record(CallKind::OrdersPoll, now);

    let (mut seen, _) = SeenOrders::open(&agent_dir.join(SEEN_FILE)).unwrap();
    let paid: Order = serde_json::from_value(json!({
        "id": "ord_1", "service_id": "svc_1", "brief": "A private brief", "status": "paid"
    }))
    .unwrap();
    assert!(seen.admit(&[paid], now).store_error.is_none());

    let (mut queue, _) = PendingDeliveries::open(&agent_dir.join(DELIVERIES_FILE)).unwrap();
    let delivery = Delivery {
        deliverable_url: "https://cdn.example.com/secret.png".into(),
        deliverable_media_type: "image".into(),
    };
    queue.queue("ord_1", delivery, now).unwrap();

    for file in [
        app_dir.join("settings.json"),
        app_dir.join("rate-ledger.json"),
        agent_dir.join(SEEN_FILE),
        agent_dir.join(DELIVERIES_FILE),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    for dir in [&root, &app_dir, &app_dir.join("agents"), &agent_dir] {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&root);
}
