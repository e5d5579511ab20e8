//! The watcher meets answers a well-behaved server would not give, on a simulated clock: a
//! 429 that asks it to stay away for centuries, and a delivery whose answer was lost on an
//! order that the client has since sent back for changes or disputed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use atelier_core::error::{ApiError, NetworkProblem};
use atelier_core::models::{Delivery, Order};
use atelier_core::watcher::{
    Budget, CallLedger, Clock, Marketplace, SharedLedger, TokioClock, Waiting, WatchEvent, Watcher,
    WatcherConfig, WatcherHandle,
};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::json;
use tokio::sync::mpsc;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn order(id: &str, status: &str) -> Order {
    let delivered = status != "paid";
    let url = delivered.then_some("https://cdn.example.com/a.png");
    let media = delivered.then_some("image");
    serde_json::from_value(json!({
        "id": id,
        "service_id": "svc_1",
        "service_title": "Custom Avatar",
        "brief": "A neon avatar, please",
        "status": status,
        "quoted_price_usd": "5.00",
        "deliverable_url": url,
        "deliverable_media_type": media,
    }))
    .unwrap()
}

struct Rig {
    watcher: WatcherHandle,
    events: mpsc::Receiver<WatchEvent>,
    ledger: SharedLedger,
    dir: std::path::PathBuf,
}

impl Rig {
    fn start<M: Marketplace>(market: M, clock: TokioClock, name: &str) -> Rig {
        let dir = std::env::temp_dir().join(format!(
            "atelier-watcher-odd-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        let ledger = SharedLedger::new(CallLedger::in_memory(Budget::default()));
        let mut config = WatcherConfig::new(&dir, ledger.clone());
        config.seed = Some(5);
        let (tx, events) = mpsc::channel(64);
        let watcher = Watcher::spawn_with_clock(config, market, clock, tx).unwrap();
        Rig {
            watcher,
            events,
            ledger,
            dir,
        }
    }

    /// The next event, within three simulated hours.
    async fn next_event(&mut self) -> WatchEvent {
        tokio::time::timeout(Duration::from_secs(3 * 3600), self.events.recv())
            .await
            .expect("an event within three hours")
            .expect("the watcher is still running")
    }

    async fn stop(self) {
        self.watcher.stop().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A marketplace whose first answer to a poll is a 429 with an absurd `Retry-After`, read
/// by the real client's parser, and which has a paid order from then on.
#[derive(Clone)]
struct CenturiesOfRateLimit {
    polls: Arc<Mutex<Vec<SystemTime>>>,
    clock: TokioClock,
}

impl Marketplace for CenturiesOfRateLimit {
    async fn payable_orders(&self) -> Result<Vec<Order>, ApiError> {
        let first = {
            let mut polls = self.polls.lock().unwrap();
            polls.push(self.clock.now());
            polls.len() == 1
        };
        if first {
            let mut headers = HeaderMap::new();
            headers.insert(
                "retry-after",
                HeaderValue::from_static("18446744073709551615"),
            );
            let body = br#"{"success":false,"error":"Too many requests. Please try again later."}"#;
            return Err(ApiError::from_response(429, &headers, body));
        }
        Ok(vec![order("ord_1", "paid")])
    }
    async fn all_orders(&self) -> Result<Vec<Order>, ApiError> {
        self.payable_orders().await
    }
    async fn probe(&self) -> Result<(), ApiError> {
        Ok(())
    }
    async fn deliver(&self, _: &str, _: &Delivery) -> Result<Order, ApiError> {
        unreachable!("nothing is delivered here")
    }
}

#[tokio::test(start_paused = true)]
async fn a_429_asking_to_wait_for_centuries_is_waited_out_for_two_hours_and_checking_goes_on() {
    let clock = TokioClock::starting_at(t0());
    let polls = Arc::new(Mutex::new(Vec::new()));
    let market = CenturiesOfRateLimit {
        polls: polls.clone(),
        clock,
    };
    let mut rig = Rig::start(market, clock, "centuries");

    let WatchEvent::Problem { problem } = rig.next_event().await else {
        panic!("the refused check is reported")
    };
    assert_eq!(problem.code, "rate_limited");
    assert_eq!(
        problem.retry_after_secs,
        Some(7200),
        "the wait is cut to two hours"
    );
    let two_hours_on = t0() + Duration::from_secs(7200);
    let status = rig.watcher.status();
    assert!(status.running);
    assert_eq!(status.waiting, Waiting::RateLimit);
    assert_eq!(status.budget_left, 0);
    assert_eq!(
        status.next_check.map(|t| t.unix()),
        Some(unix(two_hours_on))
    );
    assert_eq!(rig.ledger.lock().blocked_at(t0()), Some(two_hours_on));

    let WatchEvent::NewOrders { orders } = rig.next_event().await else {
        panic!("the watcher checks again once the wait is over")
    };
    assert_eq!(orders[0].id, "ord_1");
    assert_eq!(*polls.lock().unwrap(), [t0(), two_hours_on]);
    rig.stop().await;
}

/// A marketplace where the answer to a delivery never arrives, and a re-read then finds the
/// order in `status_after`.
#[derive(Clone)]
struct LostAnswer {
    status_after: &'static str,
    deliveries_sent: Arc<Mutex<u32>>,
}

impl Marketplace for LostAnswer {
    async fn payable_orders(&self) -> Result<Vec<Order>, ApiError> {
        Ok(vec![order("ord_1", "paid")])
    }
    async fn all_orders(&self) -> Result<Vec<Order>, ApiError> {
        Ok(vec![order("ord_1", self.status_after)])
    }
    async fn probe(&self) -> Result<(), ApiError> {
        Ok(())
    }
    async fn deliver(&self, _: &str, _: &Delivery) -> Result<Order, ApiError> {
        *self.deliveries_sent.lock().unwrap() += 1;
        Err(ApiError::Network(NetworkProblem::Timeout))
    }
}

/// What the creator is finally told about a delivery whose answer was lost, when a re-read
/// finds the order in `status_after`, and how many times it was sent.
async fn outcome_of_a_lost_answer(status_after: &'static str) -> (WatchEvent, u32) {
    let clock = TokioClock::starting_at(t0());
    let sent = Arc::new(Mutex::new(0));
    let market = LostAnswer {
        status_after,
        deliveries_sent: sent.clone(),
    };
    let mut rig = Rig::start(market, clock, status_after);
    while !matches!(rig.next_event().await, WatchEvent::Checked { .. }) {}
    let delivery = Delivery {
        deliverable_url: "https://cdn.example.com/a.png".into(),
        deliverable_media_type: "image".into(),
    };
    rig.watcher.deliver("ord_1", delivery).await.unwrap();
    let outcome = loop {
        let event = rig.next_event().await;
        if matches!(
            event,
            WatchEvent::Delivered { .. } | WatchEvent::DeliveryFailed { .. }
        ) {
            break event;
        }
    };
    rig.stop().await;
    let sent = *sent.lock().unwrap();
    (outcome, sent)
}

#[tokio::test(start_paused = true)]
async fn a_lost_delivery_is_not_called_delivered_when_the_client_has_since_asked_for_changes() {
    for status in ["revision_requested", "disputed"] {
        let (outcome, sent) = outcome_of_a_lost_answer(status).await;
        assert_eq!(sent, 1, "{status}: never sent again blindly");
        let WatchEvent::DeliveryFailed { order_id, problem } = outcome else {
            panic!("{status}: the creator must check the order, not be told it is delivered: {outcome:?}")
        };
        assert_eq!(order_id, "ord_1");
        assert_eq!(problem.code, "not_deliverable");
        assert!(problem.message.contains(status), "{}", problem.message);
    }
}

#[tokio::test(start_paused = true)]
async fn a_lost_delivery_found_delivered_or_completed_is_confirmed_without_sending_it_again() {
    for status in ["delivered", "completed"] {
        let (outcome, sent) = outcome_of_a_lost_answer(status).await;
        assert_eq!(sent, 1, "{status}");
        let WatchEvent::Delivered { order } = outcome else {
            panic!("{status}: {outcome:?}")
        };
        assert_eq!(order.id, "ord_1");
    }
}
