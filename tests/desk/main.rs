//! The running desk (`atelier_core::desk::Desk`) against real marketplaces on loopback:
//! what crosses the network when the creator moves, signs in or out.

use std::sync::Arc;
use std::time::Duration;

use atelier_core::desk::{Desk, DeskConfig};
use atelier_core::secrets::MemoryKeyring;
use atelier_core::session::SessionError;
use atelier_core::settings::Mode;
use atelier_tests::recorder::Recorder;
use atelier_tests::{agent_form, sandbox};

fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("atelier-desk-{name}-"))
        .tempdir()
        .unwrap()
}

async fn open_desk(dir: &std::path::Path, keys: &MemoryKeyring) -> Desk {
    Desk::open(DeskConfig {
        settings_file: dir.join("settings.json"),
        practice_data: dir.join("practice.json"),
        watch_dir: dir.join("watch"),
        keys: Arc::new(keys.clone()),
    })
    .await
}

/// Waits (bounded) until `recorder` has seen a request matching `wanted`.
async fn until_seen(
    recorder: &Recorder,
    what: &str,
    wanted: impl Fn(&atelier_tests::recorder::Seen) -> bool,
) {
    for _ in 0..200 {
        if recorder.requests().iter().any(&wanted) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never saw {what}: {:#?}", recorder.requests());
}

#[tokio::test(flavor = "multi_thread")]
async fn moving_to_another_marketplace_address_leaves_the_old_one_and_keeps_the_key_from_the_new() {
    let (old_market, new_market) = (sandbox().await, sandbox().await);
    let old = Recorder::start(&old_market.base_url()).await;
    let new = Recorder::start(&new_market.base_url()).await;
    let dir = scratch("address");
    let keys = MemoryKeyring::new();
    let desk = open_desk(dir.path(), &keys).await;

    // The creator works on the real marketplace at its first address, and is watched there.
    desk.choose_mode(Mode::Live, Some(&old.base_url()), false)
        .await
        .unwrap();
    desk.register(&agent_form("Neon Avatars")).await.unwrap();
    until_seen(&old, "the watcher's first look at the orders", |r| {
        r.method == "GET" && r.path.contains("/orders") && r.authorized
    })
    .await;

    // Saving another address asks first, and changes nothing until agreed.
    let refused = desk.set_live_address(&new.base_url(), false).await;
    assert!(
        matches!(refused, Err(SessionError::ConfirmAddressChange { .. })),
        "{refused:?}"
    );
    assert!(desk.session().await.signed_in);
    assert!(
        new.requests().is_empty(),
        "nothing went to the new address yet"
    );

    // Agreed: signed out, nothing watches, and the old address hears no more from us.
    let moved = desk.set_live_address(&new.base_url(), true).await.unwrap();
    assert!(!moved.signed_in);
    assert_eq!(moved.base_url.as_deref(), Some(new.base_url().as_str()));
    assert!(keys.is_empty(), "the old address's key left the keyring");
    assert_eq!(desk.status().await, None);
    let heard_by_old = old.requests().len();
    desk.check_now().await;
    assert!(
        desk.orders(true).await.is_err(),
        "no one to list orders for"
    );
    assert!(desk.profile().await.is_err());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(old.requests().len(), heard_by_old, "{:#?}", old.requests());
    assert!(
        new.requests().iter().all(|r| !r.authorized),
        "the old key never reaches the new address: {:#?}",
        new.requests()
    );

    // Signing in there (here: registering anew) is what starts watching the new address.
    desk.register(&agent_form("Neon Avatars Two"))
        .await
        .unwrap();
    until_seen(&new, "the watcher at the new address", |r| {
        r.method == "GET" && r.path.contains("/orders") && r.authorized
    })
    .await;
    assert_eq!(old.requests().len(), heard_by_old, "{:#?}", old.requests());
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_address_saved_again_changes_nothing() {
    let market = sandbox().await;
    let dir = scratch("same-address");
    let keys = MemoryKeyring::new();
    let desk = open_desk(dir.path(), &keys).await;
    desk.choose_mode(Mode::Live, Some(&market.base_url()), false)
        .await
        .unwrap();
    desk.register(&agent_form("Neon Avatars")).await.unwrap();
    let view = desk
        .set_live_address(&market.base_url(), false)
        .await
        .unwrap();
    assert!(view.signed_in);
    assert_eq!(keys.len(), 1);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn news_carries_the_watcher_moving_from_one_agent_to_none() {
    let market = sandbox().await;
    let dir = scratch("news");
    let desk = open_desk(dir.path(), &MemoryKeyring::new()).await;
    let mut news = desk.subscribe();
    desk.choose_mode(Mode::Live, Some(&market.base_url()), false)
        .await
        .unwrap();
    desk.register(&agent_form("Neon Avatars")).await.unwrap();
    let started = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n = news.recv().await.unwrap();
            if n.status.as_ref().is_some_and(|s| s.running) {
                return n;
            }
        }
    })
    .await
    .expect("news of a running watcher");
    assert!(started.status.is_some());
    desk.sign_out().await.unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n = news.recv().await.unwrap();
            if n.status.is_none() {
                return n;
            }
        }
    })
    .await
    .expect("news that nothing is watched");
    assert!(stopped.event.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_restart_the_orders_come_back_at_once_without_a_limited_listing() {
    let market = sandbox().await;
    let recorder = Recorder::start(&market.base_url()).await;
    let dir = scratch("kept-orders");
    let keys = MemoryKeyring::new();
    let desk = open_desk(dir.path(), &keys).await;
    desk.choose_mode(Mode::Live, Some(&recorder.base_url()), false)
        .await
        .unwrap();
    let account = desk.register(&agent_form("Neon Avatars")).await.unwrap();
    let agent_id = account.agent_id.clone();
    // The creator's service and two paid orders, made beside the app (not recorded).
    let creator = atelier_tests::client(&market).signed_in(account.api_key);
    let service = creator
        .create_service(
            &agent_id,
            &atelier_tests::service_form("Neon avatar pack", "5"),
        )
        .await
        .unwrap();
    let first = atelier_tests::client_orders(&market, &service.id, "A fox, please").await;
    let second = atelier_tests::client_orders(&market, &service.id, "An owl, please").await;

    // Refresh: one limited listing, kept.
    let listed = desk.orders(true).await.unwrap();
    assert_eq!(listed.orders.len(), 2, "{listed:?}");
    desk.stop().await;
    drop(desk);

    // While the app is closed, one order moves on at Atelier.
    let first_id = first["id"].as_str().unwrap().to_owned();
    creator
        .deliver(
            &first_id,
            &atelier_core::models::Delivery {
                deliverable_url: "https://cdn.example.com/fox.png".into(),
                deliverable_media_type: "image".into(),
            },
        )
        .await
        .unwrap();

    // The app again, on the same data: the kept list at once, as of the listing.
    let mark = recorder.mark();
    let desk = open_desk(dir.path(), &keys).await;
    let started = std::time::Instant::now();
    let kept = desk.orders(false).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "at once: {:?}",
        started.elapsed()
    );
    assert_eq!(kept.orders.len(), 2);
    assert_eq!(kept.fetched_at, listed.fetched_at, "as of the listing");
    assert!(kept.updating, "the known orders are looked up");
    // Asked again once the look-up is over: the order as Atelier has it now.
    let mut updated = desk.orders(false).await.unwrap();
    for _ in 0..100 {
        if !updated.updating {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        updated = desk.orders(false).await.unwrap();
    }
    assert!(!updated.updating, "the look-up ends");
    let status_of = |id: &str| {
        updated
            .orders
            .iter()
            .find(|o| o.id == id)
            .map(|o| o.status.as_str().to_owned())
    };
    assert_eq!(status_of(&first_id).as_deref(), Some("delivered"));
    assert_eq!(
        status_of(second["id"].as_str().unwrap()).as_deref(),
        Some("paid")
    );

    let since = recorder.since(mark);
    let listings: Vec<_> = since
        .iter()
        .filter(|r| r.method == "GET" && r.path == format!("/agents/{agent_id}/orders"))
        .collect();
    assert!(listings.is_empty(), "no full listing: {since:#?}");
    let looked_up = since
        .iter()
        .filter(|r| r.is("GET", "/orders/") && r.authorized)
        .count();
    assert_eq!(looked_up, 2, "each open order looked up once: {since:#?}");
    desk.stop().await;

    // A refresh the budget cannot afford shows the kept list, saying why.
    let desk = open_desk(dir.path(), &keys).await;
    let mut last = None;
    for _ in 0..40 {
        let answer = desk.orders(true).await.unwrap();
        let refused = answer.not_listed.is_some();
        last = Some(answer);
        if refused {
            break;
        }
    }
    let last = last.unwrap();
    let why = last.not_listed.as_ref().expect("the budget ran out");
    assert_eq!(why.code, "rate_limited", "{why:?}");
    assert_eq!(last.orders.len(), 2);
    desk.stop().await;
}
