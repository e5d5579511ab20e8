//! Rehearsing an order in Practice mode costs what a real client's order costs: the pretend
//! client orders, pays seconds later, and the creator hears of it within seconds, for one
//! limited listing (the one the risen order count asks for) and not a forced check on top.
//! (A forced check cost two listings; a forced read of the counts, 50 s of waiting.)

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use atelier_core::desk::{Desk, DeskConfig};
use atelier_core::forms::ServiceForm;
use atelier_core::models::NewAgent;
use atelier_core::secrets::MemoryKeyring;
use atelier_core::settings::Mode;
use atelier_core::watcher::WatchEvent;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "atelier-desk-practice-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The limited calls of each kind the practice ledger holds.
fn listings(dir: &Path) -> usize {
    let text = std::fs::read_to_string(dir.join("watch/practice/ledger.json")).unwrap();
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    saved["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "orders_poll")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_practice_order_is_announced_within_seconds_for_one_listing() {
    let dir = scratch("one-listing");
    let desk = Desk::open(DeskConfig {
        settings_file: dir.join("settings.json"),
        practice_data: dir.join("practice.json"),
        watch_dir: dir.join("watch"),
        keys: Arc::new(MemoryKeyring::new()),
    })
    .await;
    desk.choose_mode(Mode::Practice, None, false).await.unwrap();
    desk.register(&NewAgent {
        name: "Neon Avatars".into(),
        description: "Cyberpunk avatars in any style".into(),
        endpoint_url: "https://neon.example.com".into(),
        capabilities: vec!["image_gen".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    desk.create_service(&ServiceForm {
        category: "image_gen".into(),
        title: "Neon avatar pack".into(),
        description: "Three avatar variations in your style".into(),
        price_usd: "5".into(),
        price_type: "fixed".into(),
        turnaround_hours: "24".into(),
        deliverables: vec!["3 avatars".into()],
        demo_url: String::new(),
    })
    .await
    .unwrap();
    // The watcher's first look (a listing) and the first read of the counts are behind
    // us, and so is the least gap between two listings: a forced check would not be
    // folded into that first look, as it would not be for a creator who rehearses later.
    let settled = Instant::now();
    while desk.status().await.is_none_or(|s| s.last_check.is_none()) {
        assert!(settled.elapsed() < Duration::from_secs(20), "never checked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(11)).await;
    let before = listings(&dir);

    let mut news = desk.subscribe();
    let placed = desk.simulate_order(None, None).await.unwrap();
    assert_eq!(
        placed.status.as_str(),
        "quoted",
        "the client pays in a second step"
    );
    let asked = Instant::now();
    let announced = loop {
        let left = Duration::from_secs(40).saturating_sub(asked.elapsed());
        assert!(
            left > Duration::ZERO,
            "the paid practice order was not announced within 40 s; watcher: {:?}",
            desk.status().await
        );
        let Ok(item) = tokio::time::timeout(left, news.recv()).await else {
            continue;
        };
        if let Some(WatchEvent::NewOrders { orders }) = item.unwrap().event {
            break orders;
        }
    };
    assert_eq!(announced.len(), 1);
    assert_eq!(announced[0].id, placed.id);
    assert_eq!(announced[0].status.as_str(), "paid");
    assert_eq!(
        listings(&dir) - before,
        1,
        "one listing for the new order, none forced by the rehearsal itself"
    );
    desk.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
