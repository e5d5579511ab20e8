//! The watcher's commands and status on a simulated clock: Check now within the budget,
//! Pause and Resume, and a wall clock that is set back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use atelier_core::error::ApiError;
use atelier_core::models::{Delivery, Order};
use atelier_core::watcher::{
    Budget, CallKind, CallLedger, Clock, Marketplace, SharedLedger, TokioClock, Waiting,
    WatchEvent, Watcher, WatcherConfig, WatcherHandle,
};
use tokio::sync::mpsc;

/// A marketplace with no orders that notes when it was polled.
#[derive(Clone)]
struct Quiet<C> {
    polls: Arc<Mutex<Vec<SystemTime>>>,
    clock: C,
}

impl<C: Clock + Clone> Marketplace for Quiet<C> {
    async fn payable_orders(&self) -> Result<Vec<Order>, ApiError> {
        self.polls.lock().unwrap().push(self.clock.now());
        Ok(Vec::new())
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

struct Rig<C> {
    watcher: WatcherHandle,
    events: mpsc::Receiver<WatchEvent>,
    polls: Arc<Mutex<Vec<SystemTime>>>,
    clock: C,
    dir: std::path::PathBuf,
}

impl<C: Clock + Clone> Rig<C> {
    fn start(clock: C, ledger: CallLedger) -> Rig<C> {
        let dir = std::env::temp_dir().join(format!(
            "atelier-watcher-commands-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        let polls = Arc::new(Mutex::new(Vec::new()));
        let market = Quiet {
            polls: polls.clone(),
            clock: clock.clone(),
        };
        let mut config = WatcherConfig::new(&dir, SharedLedger::new(ledger));
        config.seed = Some(3);
        let (tx, events) = mpsc::channel(64);
        let watcher = Watcher::spawn_with_clock(config, market, clock.clone(), tx).unwrap();
        Rig {
            watcher,
            events,
            polls,
            clock,
            dir,
        }
    }

    fn polls(&self) -> usize {
        self.polls.lock().unwrap().len()
    }

    /// Lets simulated time pass (the paused tokio clock jumps through idle stretches).
    async fn wait(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    async fn next_event(&mut self) -> WatchEvent {
        tokio::time::timeout(Duration::from_secs(3600), self.events.recv())
            .await
            .expect("an event within the hour")
            .expect("the watcher is running")
    }

    async fn stop(self) {
        self.watcher.stop().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

fn hour_ledger() -> CallLedger {
    CallLedger::in_memory(Budget {
        window: Duration::from_secs(3600),
        ..Budget::default()
    })
}

#[tokio::test(start_paused = true)]
async fn check_now_waits_for_the_budget_and_the_status_says_until_when() {
    let clock = TokioClock::starting_at(t0());
    let mut ledger = hour_ledger();
    // Earlier in the hour the app polled 20 times and delivered 4 times: polls are done.
    for i in 0..24 {
        let kind = if i < 20 {
            CallKind::OrdersPoll
        } else {
            CallKind::Deliver
        };
        ledger.record(
            kind,
            t0() - Duration::from_secs(1800) + Duration::from_secs(i * 10),
        );
    }
    let rig = Rig::start(clock, ledger);
    rig.wait(Duration::from_secs(1)).await;
    let status = rig.watcher.status();
    assert_eq!(rig.polls(), 0, "no poll at start: the budget is spent");
    assert_eq!(status.waiting, Waiting::Budget);
    assert_eq!(status.budget_left, 6, "what is left is kept for deliveries");
    let free_at = t0() + Duration::from_secs(1800);
    assert_eq!(status.next_check.map(|t| t.unix()), Some(unix(free_at)));

    rig.watcher.check_now().await.unwrap();
    rig.wait(Duration::from_secs(60)).await;
    assert_eq!(rig.polls(), 0, "Check now does not overspend either");
    assert_eq!(rig.watcher.status().waiting, Waiting::Budget);

    rig.wait(Duration::from_secs(1800)).await;
    let polls = rig.polls.lock().unwrap().clone();
    assert_eq!(
        polls.first().copied(),
        Some(free_at),
        "checked as soon as a slot freed"
    );
    let status = rig.watcher.status();
    assert_eq!(status.last_check.map(|t| t.unix()), Some(unix(free_at)));
    assert_eq!(status.waiting, Waiting::Interval);
    rig.stop().await;
}

#[tokio::test(start_paused = true)]
async fn pause_stops_polling_check_now_still_checks_once_and_resume_checks_at_once() {
    let clock = TokioClock::starting_at(t0());
    let mut rig = Rig::start(clock, hour_ledger());
    assert!(matches!(rig.next_event().await, WatchEvent::Checked { .. }));
    assert_eq!(rig.polls(), 1, "checked at start");

    rig.watcher.pause().await.unwrap();
    assert_eq!(rig.next_event().await, WatchEvent::Paused);
    rig.wait(Duration::from_secs(3600)).await;
    assert_eq!(rig.polls(), 1, "no polling while paused");
    let status = rig.watcher.status();
    assert!(status.paused);
    assert_eq!((status.waiting, status.next_check), (Waiting::Paused, None));

    rig.watcher.check_now().await.unwrap();
    assert!(matches!(rig.next_event().await, WatchEvent::Checked { .. }));
    rig.wait(Duration::from_secs(3600)).await;
    assert_eq!(rig.polls(), 2, "one check, then paused again");

    let resumed_at = rig.clock.now();
    rig.watcher.resume().await.unwrap();
    assert_eq!(rig.next_event().await, WatchEvent::Resumed);
    assert!(matches!(rig.next_event().await, WatchEvent::Checked { .. }));
    let last = *rig.polls.lock().unwrap().last().unwrap();
    assert!(last.duration_since(resumed_at).unwrap() < Duration::from_secs(1));
    rig.stop().await;
}

/// Wall-clock time that can be set back, over tokio's (paused) timer.
#[derive(Clone)]
struct AdjustableClock {
    inner: TokioClock,
    back_by_secs: Arc<AtomicU64>,
}

impl Clock for AdjustableClock {
    fn now(&self) -> SystemTime {
        self.inner.now() - Duration::from_secs(self.back_by_secs.load(Ordering::SeqCst))
    }
}

#[tokio::test(start_paused = true)]
async fn a_wall_clock_set_back_a_day_does_not_stretch_the_wait_for_the_next_check() {
    let clock = AdjustableClock {
        inner: TokioClock::starting_at(t0()),
        back_by_secs: Arc::new(AtomicU64::new(0)),
    };
    let mut rig = Rig::start(clock.clone(), hour_ledger());
    assert!(matches!(rig.next_event().await, WatchEvent::Checked { .. }));
    let before = tokio::time::Instant::now();
    clock.back_by_secs.store(24 * 3600, Ordering::SeqCst);
    assert!(matches!(rig.next_event().await, WatchEvent::Checked { .. }));
    let waited = before.elapsed();
    assert!(
        // Noticed within the watcher's 30 s look-around, then at most one interval.
        waited <= Duration::from_secs(30 + 165),
        "the next check came after {waited:?}"
    );
    assert_eq!(rig.polls(), 2);
    rig.stop().await;
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64
}
