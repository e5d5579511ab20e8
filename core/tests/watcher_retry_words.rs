//! Trouble that passes by itself (the network, a slow or unwell server, a 429, an answer
//! that could not be read) is told to the creator with when the watcher tries again on its
//! own, in words that need no time zone, and without blaming the app's version.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use atelier_core::error::{ApiError, NetworkProblem};
use atelier_core::models::{Delivery, Order};
use atelier_core::watcher::{
    Budget, CallLedger, Marketplace, Problem, SharedLedger, TokioClock, WatchEvent, Watcher,
    WatcherConfig,
};
use serde_json::json;
use tokio::sync::mpsc;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

fn paid_order() -> Order {
    serde_json::from_value(json!({
        "id": "ord_1", "service_id": "svc_1", "brief": "A neon avatar, please",
        "status": "paid", "quoted_price_usd": "5.00",
    }))
    .unwrap()
}

/// Fails its first `failures` polls (or every delivery) with what `trouble` makes.
#[derive(Clone)]
struct Troubled {
    trouble: fn() -> ApiError,
    failures: Arc<Mutex<u32>>,
}

impl Marketplace for Troubled {
    async fn payable_orders(&self) -> Result<Vec<Order>, ApiError> {
        let mut left = self.failures.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            return Err((self.trouble)());
        }
        Ok(vec![paid_order()])
    }
    async fn all_orders(&self) -> Result<Vec<Order>, ApiError> {
        self.payable_orders().await
    }
    async fn probe(&self) -> Result<(), ApiError> {
        Ok(())
    }
    async fn deliver(&self, _: &str, _: &Delivery) -> Result<Order, ApiError> {
        Err((self.trouble)())
    }
}

async fn first_problem(trouble: fn() -> ApiError) -> Problem {
    let clock = TokioClock::starting_at(t0());
    let market = Troubled {
        trouble,
        failures: Arc::new(Mutex::new(1)),
    };
    let dir = scratch("poll");
    let ledger = SharedLedger::new(CallLedger::in_memory(Budget::default()));
    let mut config = WatcherConfig::new(&dir, ledger);
    config.seed = Some(9);
    let (tx, mut events) = mpsc::channel(64);
    let watcher = Watcher::spawn_with_clock(config, market, clock, tx).unwrap();
    let problem = loop {
        match events.recv().await.expect("the watcher runs") {
            WatchEvent::Problem { problem } => break problem,
            WatchEvent::Checked { .. } => panic!("the first check should fail"),
            _ => {}
        }
    };
    watcher.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    problem
}

fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "atelier-watcher-words-{name}-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    ))
}

/// "in about N minutes", as the message must put the wait it reports.
fn in_words(secs: u64) -> String {
    match secs.div_ceil(60) {
        _ if secs < 60 => "in less than a minute".to_owned(),
        1 => "in about 1 minute".to_owned(),
        n => format!("in about {n} minutes"),
    }
}

fn assert_says_when(what: &str, problem: &Problem, least: u64, most: u64) {
    let secs = problem
        .retry_after_secs
        .unwrap_or_else(|| panic!("{what}: no time to try again in {problem:?}"));
    assert!(
        (least..=most).contains(&secs),
        "{what}: tries again after {secs} s"
    );
    let when = format!("Atelier Desk tries again by itself {}", in_words(secs));
    assert!(
        problem.message.contains(&when),
        "{what}: {:?} does not say {when:?}",
        problem.message
    );
    assert!(
        !problem.message.contains("Updating"),
        "{what}: {}",
        problem.message
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_check_says_when_the_watcher_tries_again() {
    /// What goes wrong, and the least and most seconds until the next try.
    type Case = (&'static str, fn() -> ApiError, u64, u64);
    let cases: [Case; 5] = [
        (
            "offline",
            || ApiError::Network(NetworkProblem::Offline),
            30,
            60,
        ),
        (
            "timeout",
            || ApiError::Network(NetworkProblem::Timeout),
            30,
            60,
        ),
        ("server", || ApiError::Server { status: 503 }, 30, 60),
        (
            "garbage",
            || ApiError::UnexpectedResponse {
                status: 200,
                detail: "expected value at line 1 column 1".into(),
            },
            30,
            60,
        ),
        (
            "429",
            || ApiError::RateLimited {
                retry_after_secs: Some(600),
                reset_at: None,
            },
            600,
            600,
        ),
    ];
    for (what, trouble, least, most) in cases {
        let problem = first_problem(trouble).await;
        assert_eq!(problem.code, trouble().code(), "{what}");
        assert_says_when(what, &problem, least, most);
    }
}

#[tokio::test(start_paused = true)]
async fn a_delivery_that_must_wait_says_when_it_is_tried_again() {
    let clock = TokioClock::starting_at(t0());
    let market = Troubled {
        trouble: || ApiError::Server { status: 502 },
        failures: Arc::new(Mutex::new(0)),
    };
    let dir = scratch("delivery");
    let ledger = SharedLedger::new(CallLedger::in_memory(Budget::default()));
    let mut config = WatcherConfig::new(&dir, ledger);
    config.seed = Some(9);
    let (tx, mut events) = mpsc::channel(64);
    let watcher = Watcher::spawn_with_clock(config, market, clock, tx).unwrap();
    while !matches!(events.recv().await, Some(WatchEvent::Checked { .. })) {}
    let delivery = Delivery {
        deliverable_url: "https://cdn.example.com/a.png".into(),
        deliverable_media_type: "image".into(),
    };
    watcher.deliver("ord_1", delivery).await.unwrap();
    let problem = loop {
        if let Some(WatchEvent::DeliveryRetrying { problem, .. }) = events.recv().await {
            break problem;
        }
    };
    // The first retry of a delivery whose fate is unknown re-reads the orders: 30-60 s.
    assert_says_when("delivery", &problem, 30, 60);
    watcher.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_answer_that_could_not_be_read_is_not_blamed_on_the_app_version() {
    let e = ApiError::UnexpectedResponse {
        status: 200,
        detail: "expected value".into(),
    };
    let said = e.to_string();
    assert!(!said.contains("Updating"), "{said}");
    assert!(said.contains("passing"), "{said}");
}
