//! Every limited call the desk makes, from any screen, is in the rate ledger the watcher
//! reads, and so is every 429 they meet: when another client on the same address has used
//! up the hour, one refusal is enough to stop the whole app for as long as the server asks.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use atelier_core::base_url::BaseUrl;
use atelier_core::client::AtelierClient;
use atelier_core::desk::{Desk, DeskConfig};
use atelier_core::error::{ApiError, PageError};
use atelier_core::forms::ServiceForm;
use atelier_core::models::NewAgent;
use atelier_core::secrets::MemoryKeyring;
use atelier_core::settings::Mode;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("atelier-desk-limits-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn open_desk(dir: &Path) -> Desk {
    Desk::open(DeskConfig {
        settings_file: dir.join("settings.json"),
        practice_data: dir.join("practice.json"),
        watch_dir: dir.join("watch"),
        keys: Arc::new(MemoryKeyring::new()),
    })
    .await
}

fn agent(name: &str) -> NewAgent {
    NewAgent {
        name: name.into(),
        description: "Cyberpunk avatars in any style".into(),
        endpoint_url: "https://neon.example.com".into(),
        capabilities: vec!["image_gen".into()],
        ..Default::default()
    }
}

fn service() -> ServiceForm {
    ServiceForm {
        category: "image_gen".into(),
        title: "Neon avatar pack".into(),
        description: "Three avatar variations in your style".into(),
        price_usd: "5".into(),
        price_type: "fixed".into(),
        turnaround_hours: "24".into(),
        deliverables: vec!["3 avatars".into()],
        demo_url: String::new(),
    }
}

/// Another client behind the same address uses up the marketplace's shared count.
async fn spend_the_hour_elsewhere(base_url: &str) {
    let client = AtelierClient::new(BaseUrl::parse(base_url).unwrap()).unwrap();
    let other = client.register(&agent("Somebody Else")).await.unwrap();
    let other_client = client.signed_in(other.api_key.clone());
    for _ in 0..40 {
        match other_client.orders(&other.agent_id, &[]).await {
            Ok(_) => continue,
            Err(ApiError::RateLimited { .. }) => return,
            Err(e) => panic!("the other client met {e:?}"),
        }
    }
    panic!("the marketplace never said 429");
}

/// The 429 wait the practice mode's ledger file holds, from now.
fn blocked_for(dir: &Path) -> Option<Duration> {
    let text = std::fs::read_to_string(dir.join("watch/practice/ledger.json")).ok()?;
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    let until = UNIX_EPOCH + Duration::from_millis(saved["blocked_until_ms"].as_u64()?);
    until.duration_since(SystemTime::now()).ok()
}

async fn practice_desk(dir: &Path) -> (Desk, String) {
    let desk = open_desk(dir).await;
    let view = desk.choose_mode(Mode::Practice, None, false).await.unwrap();
    (desk, view.base_url.unwrap())
}

/// Signs in by registering, and waits until the watcher's first look is over (so that it
/// is not what meets the 429).
async fn signed_in(desk: &Desk) {
    desk.register(&agent("Neon Avatars")).await.unwrap();
    for _ in 0..200 {
        if desk.status().await.is_some_and(|s| s.last_check.is_some()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the watcher never checked");
}

fn assert_blocked_by_the_server(dir: &Path, what: &str) {
    let wait = blocked_for(dir).unwrap_or_else(|| panic!("{what}: the 429 is not in the ledger"));
    assert!(
        wait > Duration::from_secs(50 * 60),
        "{what}: blocked for only {wait:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_to_a_registration_stops_every_limited_call() {
    let dir = scratch("register");
    let (desk, base_url) = practice_desk(&dir).await;
    spend_the_hour_elsewhere(&base_url).await;
    let Err(refused) = desk.register(&agent("Neon Avatars")).await else {
        panic!("registered although the hour was used up")
    };
    assert_eq!(refused.code(), "rate_limited", "{refused}");
    assert_blocked_by_the_server(&dir, "register");
    desk.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_to_a_new_service_stops_every_limited_call() {
    let dir = scratch("service");
    let (desk, base_url) = practice_desk(&dir).await;
    signed_in(&desk).await;
    spend_the_hour_elsewhere(&base_url).await;
    let refused = desk.create_service(&service()).await.unwrap_err();
    assert_eq!(refused.code(), "rate_limited", "{refused}");
    assert_blocked_by_the_server(&dir, "create_service");
    desk.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_to_the_inbox_listing_stops_every_limited_call() {
    let dir = scratch("orders");
    let (desk, base_url) = practice_desk(&dir).await;
    signed_in(&desk).await;
    spend_the_hour_elsewhere(&base_url).await;
    let refused = desk.orders(true).await.unwrap_err();
    assert_eq!(refused.code(), "rate_limited", "{refused}");
    assert_blocked_by_the_server(&dir, "orders");
    desk.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
