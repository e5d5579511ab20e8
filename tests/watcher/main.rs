//! The order watcher against the sandbox marketplace over loopback HTTP, with the real
//! client, real files and the sandbox's real rate limiter: announcements across restarts,
//! and deliveries whose answer (or request) gets lost.

mod faults;
mod proxy;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use atelier_core::base_url::BaseUrl;
use atelier_core::client::AtelierClient;
use atelier_core::models::{Delivery, Order, OrderStatus};
use atelier_core::sandbox::{RateLimits, Sandbox};
use atelier_core::watcher::{
    AtelierMarketplace, Budget, CallKind, CallLedger, Policy, SharedLedger, WatchEvent, Watcher,
    WatcherConfig, WatcherHandle,
};
use atelier_tests::{agent_form, client, client_orders, service_form, strict_sandbox};
use proxy::{Mode, Proxy};
use tokio::sync::mpsc;

/// A creator with one service on a sandbox that limits like the real server.
struct Shop {
    sandbox: Sandbox,
    client: AtelierClient,
    agent_id: String,
    service_id: String,
    key: secrecy::SecretString,
    dir: PathBuf,
}

impl Shop {
    async fn open(name: &str) -> Shop {
        let sandbox = strict_sandbox(RateLimits::default()).await;
        let registration = client(&sandbox)
            .register(&agent_form(name))
            .await
            .expect("registration succeeds");
        let signed_in = client(&sandbox).signed_in(registration.api_key.clone());
        let service = signed_in
            .create_service(&registration.agent_id, &service_form("Custom Avatar", "5"))
            .await
            .expect("the service is created");
        let dir = std::env::temp_dir().join(format!(
            "atelier-watcher-test-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        let shop = Shop {
            sandbox,
            client: signed_in,
            agent_id: registration.agent_id,
            service_id: service.id,
            key: registration.api_key,
            dir,
        };
        // The app counts what it spent outside the watcher in the same ledger.
        let ledger = shop.ledger();
        let now = SystemTime::now();
        ledger.record(CallKind::Register, now);
        ledger.record(CallKind::ServiceCreate, now);
        shop
    }

    /// The app's ledger, read from disk as a freshly started app would.
    fn ledger(&self) -> SharedLedger {
        let ledger = CallLedger::open(&self.dir.join("ledger.json"), Budget::default())
            .expect("the ledger file can be opened");
        SharedLedger::new(ledger)
    }

    async fn order(&self, brief: &str) -> String {
        let placed = client_orders(&self.sandbox, &self.service_id, brief).await;
        placed["id"].as_str().expect("an order id").to_owned()
    }

    /// Starts a watcher (an app start) talking to `base_url` with the creator's key.
    fn watch(&self, base_url: &str, policy: Policy) -> (WatcherHandle, mpsc::Receiver<WatchEvent>) {
        let base = BaseUrl::parse(base_url).expect("a loopback URL");
        let client =
            AtelierClient::with_timeouts(base, Duration::from_secs(2), Duration::from_secs(1))
                .expect("a client")
                .signed_in(self.key.clone());
        let market = AtelierMarketplace::new(client, self.agent_id.clone());
        let mut config = WatcherConfig::new(self.dir.join("agent"), self.ledger());
        config.policy = policy;
        let (tx, rx) = mpsc::channel(64);
        let handle = Watcher::spawn(config, market, tx).expect("the watcher starts");
        (handle, rx)
    }

    fn watch_directly(&self) -> (WatcherHandle, mpsc::Receiver<WatchEvent>) {
        self.watch(&self.sandbox.base_url(), quick_policy())
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The real policy, except that retries come after about a second rather than a minute
/// and Check now is not held back by the minimum gap, so the tests run in seconds.
fn quick_policy() -> Policy {
    Policy {
        min_gap: Duration::ZERO,
        backoff_base: Duration::from_secs(1),
        probe_interval: Duration::from_millis(500),
        ..Policy::default()
    }
}

/// Every event up to and including the next `Checked` (one whole check).
async fn one_check(events: &mut mpsc::Receiver<WatchEvent>) -> Vec<WatchEvent> {
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(15), events.recv())
            .await
            .expect("the watcher checks within 15 s")
            .expect("the watcher is running");
        let done = matches!(event, WatchEvent::Checked { .. });
        seen.push(event);
        if done {
            return seen;
        }
    }
}

/// The first event that `pick` accepts, skipping others.
async fn wait_for<T>(
    events: &mut mpsc::Receiver<WatchEvent>,
    mut pick: impl FnMut(&WatchEvent) -> Option<T>,
) -> (T, Vec<WatchEvent>) {
    let mut before = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(15), events.recv())
            .await
            .expect("the awaited event comes within 15 s")
            .expect("the watcher is running");
        if let Some(found) = pick(&event) {
            return (found, before);
        }
        before.push(event);
    }
}

fn announced(events: &[WatchEvent]) -> Vec<Vec<String>> {
    events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::NewOrders { orders } => {
                let mut ids: Vec<String> = orders.iter().map(|o| o.id.clone()).collect();
                ids.sort();
                Some(ids)
            }
            _ => None,
        })
        .collect()
}

fn delivery(name: &str) -> Delivery {
    Delivery {
        deliverable_url: format!("https://storage.example.com/{name}.png"),
        deliverable_media_type: "image".into(),
    }
}

async fn order_status(shop: &Shop, order_id: &str) -> Order {
    shop.client
        .orders(&shop.agent_id, &[])
        .await
        .expect("the orders can be read")
        .into_iter()
        .find(|o| o.id == order_id)
        .expect("the order exists")
}

#[tokio::test]
async fn a_paid_order_is_announced_once_also_across_a_restart() {
    let shop = Shop::open("once").await;
    let (watcher, mut events) = shop.watch_directly();
    assert_eq!(
        announced(&one_check(&mut events).await),
        Vec::<Vec<String>>::new()
    );

    let order_id = shop.order("A neon avatar, three variations").await;
    watcher.check_now().await.unwrap();
    assert_eq!(
        announced(&one_check(&mut events).await),
        vec![vec![order_id.clone()]]
    );
    watcher.check_now().await.unwrap();
    assert_eq!(
        announced(&one_check(&mut events).await),
        Vec::<Vec<String>>::new()
    );
    watcher.stop().await;

    // The app starts again: it checks at once, and the order is still paid, but known.
    let (watcher, mut events) = shop.watch_directly();
    assert_eq!(
        announced(&one_check(&mut events).await),
        Vec::<Vec<String>>::new()
    );
    // Register, service, four polls: every limited call is counted, across the restart.
    let status = watcher.status();
    assert_eq!((status.budget_left, status.budget_limit), (24, 30));
    assert!(status.last_check.is_some() && status.next_check.is_some());
    watcher.stop().await;
    assert!(!watcher.status().running);
}

#[tokio::test]
async fn orders_placed_while_the_app_was_closed_are_announced_at_start_in_one_event() {
    let shop = Shop::open("closed").await;
    let first = shop.order("Before the app ever ran").await;
    let (watcher, mut events) = shop.watch_directly();
    assert_eq!(announced(&one_check(&mut events).await), vec![vec![first]]);
    watcher.stop().await;

    let mut while_closed = vec![
        shop.order("A cyberpunk avatar with neon accents").await,
        shop.order("A watercolour portrait of a cat").await,
        shop.order("A pixel-art logo for a bakery").await,
    ];
    while_closed.sort();
    let (watcher, mut events) = shop.watch_directly();
    let at_start = one_check(&mut events).await;
    assert_eq!(
        announced(&at_start),
        vec![while_closed],
        "one event, all three, nothing else"
    );
    watcher.stop().await;
}

#[tokio::test]
async fn a_delivery_whose_answer_is_lost_is_confirmed_by_a_re_read_not_sent_again() {
    let shop = Shop::open("lost-answer").await;
    let proxy = Proxy::start(&shop.sandbox.base_url()).await;
    let order_id = shop.order("A neon avatar, three variations").await;
    let (watcher, mut events) = shop.watch(&proxy.base_url, quick_policy());
    one_check(&mut events).await;

    proxy.set(Mode::LoseNextDeliveryAnswer);
    watcher
        .deliver(&order_id, delivery("lost-answer"))
        .await
        .unwrap();
    let (order, before) = wait_for(&mut events, |e| match e {
        WatchEvent::Delivered { order } => Some(order.clone()),
        _ => None,
    })
    .await;
    assert!(
        before.iter().any(|e| matches!(e, WatchEvent::DeliveryRetrying { problem, .. } if problem.code == "timeout")),
        "the first attempt timed out: {before:?}"
    );
    assert_eq!(order.id, order_id);
    assert_eq!(order.status, OrderStatus::Delivered);
    assert_eq!(
        proxy.deliveries_forwarded(),
        1,
        "the delivery reached the server once"
    );
    assert_eq!(
        order_status(&shop, &order_id)
            .await
            .deliverable_url
            .as_deref(),
        Some("https://storage.example.com/lost-answer.png")
    );
    assert_eq!(watcher.status().pending_deliveries, 0);
    watcher.stop().await;
}

#[tokio::test]
async fn a_delivery_lost_on_the_way_is_sent_again_after_a_re_read() {
    let shop = Shop::open("lost-request").await;
    let proxy = Proxy::start(&shop.sandbox.base_url()).await;
    let order_id = shop.order("A neon avatar, three variations").await;
    let (watcher, mut events) = shop.watch(&proxy.base_url, quick_policy());
    one_check(&mut events).await;

    proxy.set(Mode::LoseNextDeliveryRequest);
    watcher
        .deliver(&order_id, delivery("second-try"))
        .await
        .unwrap();
    let (order, before) = wait_for(&mut events, |e| match e {
        WatchEvent::Delivered { order } => Some(order.clone()),
        _ => None,
    })
    .await;
    assert!(before
        .iter()
        .any(|e| matches!(e, WatchEvent::DeliveryRetrying { .. })));
    assert_eq!(order.status, OrderStatus::Delivered);
    assert_eq!(
        proxy.deliveries_forwarded(),
        1,
        "only the second attempt reached the server"
    );
    watcher.stop().await;
}

#[tokio::test]
async fn a_delivery_that_failed_offline_is_kept_and_sent_after_a_restart() {
    let shop = Shop::open("offline").await;
    let proxy = Proxy::start(&shop.sandbox.base_url()).await;
    let order_id = shop.order("A neon avatar, three variations").await;
    let slow_retries = Policy {
        backoff_base: Duration::from_secs(600),
        ..quick_policy()
    };
    let (watcher, mut events) = shop.watch(&proxy.base_url, slow_retries);
    one_check(&mut events).await;

    proxy.set(Mode::Down);
    watcher
        .deliver(&order_id, delivery("after-restart"))
        .await
        .unwrap();
    let (problem, _) = wait_for(&mut events, |e| match e {
        WatchEvent::DeliveryRetrying { problem, .. } => Some(problem.clone()),
        _ => None,
    })
    .await;
    assert_eq!(problem.code, "network");
    assert_eq!(watcher.status().pending_deliveries, 1);
    watcher.stop().await;
    assert_eq!(
        order_status(&shop, &order_id).await.status,
        OrderStatus::Paid
    );

    // Back online, after a restart: the queued delivery goes out without being asked again.
    let (watcher, mut events) = shop.watch_directly();
    let (order, _) = wait_for(&mut events, |e| match e {
        WatchEvent::Delivered { order } => Some(order.clone()),
        _ => None,
    })
    .await;
    assert_eq!(order.id, order_id);
    assert_eq!(
        order_status(&shop, &order_id)
            .await
            .deliverable_url
            .as_deref(),
        Some("https://storage.example.com/after-restart.png")
    );
    watcher.stop().await;
}

#[tokio::test]
async fn a_refused_delivery_is_reported_with_the_servers_words_and_dropped() {
    let shop = Shop::open("refused").await;
    let order_id = shop.order("A neon avatar, three variations").await;
    shop.client
        .deliver(&order_id, &delivery("elsewhere"))
        .await
        .expect("delivered from another device");
    let (watcher, mut events) = shop.watch_directly();
    one_check(&mut events).await;

    watcher.deliver(&order_id, delivery("again")).await.unwrap();
    let (problem, _) = wait_for(&mut events, |e| match e {
        WatchEvent::DeliveryFailed { problem, .. } => Some(problem.clone()),
        _ => None,
    })
    .await;
    assert_eq!(problem.code, "invalid_input");
    assert!(
        problem.message.contains("Cannot deliver order with status"),
        "{problem:?}"
    );
    assert_eq!(watcher.status().pending_deliveries, 0);

    // A form that cannot be right never reaches the queue, nor the server.
    let no_url = Delivery {
        deliverable_url: "storage.example.com/result.png".into(),
        deliverable_media_type: "image".into(),
    };
    watcher.deliver("ord_anything", no_url).await.unwrap();
    let (problem, _) = wait_for(&mut events, |e| match e {
        WatchEvent::DeliveryFailed { order_id, problem } if order_id == "ord_anything" => {
            Some(problem.clone())
        }
        _ => None,
    })
    .await;
    assert_eq!(problem.code, "invalid_input");
    assert_eq!(watcher.status().pending_deliveries, 0);
    watcher.stop().await;
}
