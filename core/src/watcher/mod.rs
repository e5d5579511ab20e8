//! Watching for paid orders within the shared rate limit.
//!
//! A tokio task watches the free signals (each service's order count, each unpaid order's
//! page) and lists the creator's orders only when a count rose, and as a safety net about
//! every 14 minutes; on a server without those signals it polls about every 150 s. It never
//! spends more of the server's 30-an-hour budget than the [`CallLedger`] allows and always
//! leaves room for deliveries; announces each paid order once, also across restarts; and
//! sends the deliveries the creator confirms, retrying them safely. See `docs/watcher.md`.
//!
//! Nothing here knows about windows: the app shell turns [`WatchEvent`]s into
//! notifications and [`WatchStatus`] into what the UI shows.

mod act;
mod clock;
mod deliveries;
mod event;
mod ledger;
mod market;
mod run;
mod schedule;
mod seen;
mod signals;
mod store;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use clock::{Clock, Moment, SystemClock, TokioClock};
pub use deliveries::{PendingDeliveries, PendingDelivery};
pub use event::{ChangeKind, OrderChange, Problem, WatchCommand, WatchEvent, WatchStatus};
pub use ledger::{Budget, CallKind, CallLedger, NotYet, SharedLedger, WaitReason};
pub use market::{AtelierMarketplace, Marketplace};
pub use schedule::{
    backoff, backoff_bounds, jittered, jittered_interval, plan_poll, rate_limit_wait, Plan, Policy,
    Waiting,
};
pub use seen::{Admitted, SeenOrders, RETENTION};
pub use store::StoreError;

use crate::models::Delivery;

/// Announced order ids, in the watcher's data directory.
pub const SEEN_FILE: &str = "seen-orders.json";
/// Confirmed deliveries not yet acknowledged, in the watcher's data directory.
pub const DELIVERIES_FILE: &str = "deliveries.json";

/// How long [`WatcherHandle::stop`] lets a call in flight finish before cutting it off.
/// Cutting one off is safe: a delivery is marked uncertain on disk before it is sent.
const STOP_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct WatcherConfig {
    /// Where this agent's seen orders and pending deliveries are kept. One directory per
    /// agent: deliveries can only be sent with that agent's key.
    pub data_dir: PathBuf,
    /// The app-wide count of limited calls. The server counts per IP address, so every
    /// agent and every part of the app shares one ledger.
    pub ledger: SharedLedger,
    pub policy: Policy,
    /// Seeds the jitter, for repeatable tests; `None` seeds from the operating system.
    pub seed: Option<u64>,
}

impl WatcherConfig {
    pub fn new(data_dir: impl Into<PathBuf>, ledger: SharedLedger) -> WatcherConfig {
        WatcherConfig {
            data_dir: data_dir.into(),
            ledger,
            policy: Policy::default(),
            seed: None,
        }
    }
}

pub struct Watcher;

impl Watcher {
    /// Loads the watcher's files and starts it on the current tokio runtime, with the
    /// computer's clock. It checks as soon as the budget allows (so orders that came in
    /// while the app was closed are announced at start), then keeps going until stopped
    /// or until every handle and the event receiver are gone.
    pub fn spawn<M: Marketplace>(
        config: WatcherConfig,
        market: M,
        events: mpsc::Sender<WatchEvent>,
    ) -> Result<WatcherHandle, StoreError> {
        Watcher::spawn_with_clock(config, market, SystemClock, events)
    }

    /// As [`Watcher::spawn`], on any clock (a simulated one in tests).
    pub fn spawn_with_clock<M: Marketplace, C: Clock>(
        config: WatcherConfig,
        market: M,
        clock: C,
        events: mpsc::Sender<WatchEvent>,
    ) -> Result<WatcherHandle, StoreError> {
        let (seen, seen_problem) = SeenOrders::open(&config.data_dir.join(SEEN_FILE))?;
        let (queue, queue_problem) =
            PendingDeliveries::open(&config.data_dir.join(DELIVERIES_FILE))?;
        let moment = clock.moment();
        let now = moment.wall;
        let mut startup_problems: Vec<Problem> = [seen_problem, queue_problem]
            .iter()
            .flatten()
            .map(Problem::from)
            .collect();
        // A count lost while loading holds the watcher back for an hour: say why at once,
        // not after that hour, when it would first spend.
        startup_problems.extend(config.ledger.take_problem(moment));
        let budget_limit = config.ledger.lock().budget().orders_limit;
        let (status_tx, status_rx) = watch::channel(WatchStatus::starting(budget_limit));
        let (command_tx, command_rx) = mpsc::channel(32);
        let runner = run::Runner {
            market,
            clock,
            policy: config.policy,
            ledger: config.ledger,
            seen,
            queue,
            events,
            commands: command_rx,
            status: status_tx,
            rng: match config.seed {
                Some(seed) => StdRng::seed_from_u64(seed),
                None => StdRng::from_os_rng(),
            },
            paused: false,
            check_once: false,
            poll_wanted: now,
            poll_why: Waiting::Now,
            failures: 0,
            poll_backoff_network: false,
            last_poll: None,
            last_check: None,
            offline: false,
            probe_at: now,
            probe_saw_down: false,
            poll_after_probe: false,
            problem: None,
            startup_problems,
            signals: signals::Signals::new(now, signals::free_calls_for(&config.data_dir)),
        };
        let task = tokio::spawn(runner.run());
        Ok(WatcherHandle {
            commands: command_tx,
            status: status_rx,
            task: Arc::new(Mutex::new(Some(task))),
        })
    }
}

/// The watcher has stopped and takes no more commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("The order watcher has stopped.")]
pub struct WatcherGone;

/// Controls a running watcher. Cheap to clone; the watcher stops when the last clone is
/// dropped.
#[derive(Debug, Clone)]
pub struct WatcherHandle {
    commands: mpsc::Sender<WatchCommand>,
    status: watch::Receiver<WatchStatus>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl WatcherHandle {
    pub async fn send(&self, command: WatchCommand) -> Result<(), WatcherGone> {
        self.commands.send(command).await.map_err(|_| WatcherGone)
    }

    pub async fn check_now(&self) -> Result<(), WatcherGone> {
        self.send(WatchCommand::CheckNow).await
    }

    pub async fn pause(&self) -> Result<(), WatcherGone> {
        self.send(WatchCommand::Pause).await
    }

    pub async fn resume(&self) -> Result<(), WatcherGone> {
        self.send(WatchCommand::Resume).await
    }

    pub async fn deliver(
        &self,
        order_id: impl Into<String>,
        delivery: Delivery,
    ) -> Result<(), WatcherGone> {
        self.send(WatchCommand::Deliver {
            order_id: order_id.into(),
            delivery,
        })
        .await
    }

    /// The latest status.
    pub fn status(&self) -> WatchStatus {
        self.status.borrow().clone()
    }

    /// Whether the watcher's task has ended: stopped, or died (a panic, with an unwinding
    /// build) without being asked to.
    pub fn is_finished(&self) -> bool {
        self.task
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
            .is_none_or(|task| task.is_finished())
    }

    /// Status updates as they happen, for pushing to the UI.
    pub fn subscribe(&self) -> watch::Receiver<WatchStatus> {
        self.status.clone()
    }

    /// Stops the watcher and waits for it, cutting off a call still in flight after a
    /// few seconds.
    pub async fn stop(&self) {
        let _ = self.commands.send(WatchCommand::Stop).await;
        let task = self
            .task
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(mut task) = task {
            if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
                task.abort();
                let _ = task.await;
            }
        }
    }
}
