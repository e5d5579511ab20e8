//! The watcher's loop: wait for the next thing that is due or for a command, do it, repeat.
//! The calls themselves are in `act.rs`.

use std::time::{Duration, SystemTime};

use rand::rngs::StdRng;
use tokio::sync::{mpsc, watch};

use super::clock::{later, Clock, Moment};
use super::deliveries::PendingDeliveries;
use super::event::{stamp, Problem, WatchCommand, WatchEvent, WatchStatus};
use super::ledger::{CallKind, SharedLedger};
use super::market::Marketplace;
use super::schedule::{plan_poll, Plan, Policy, Waiting};
use super::seen::SeenOrders;
use super::signals::Signals;
use crate::error::{ApiError, LONGEST_RATE_LIMIT_WAIT};
use crate::validate;

/// The longest the loop sleeps without looking at the clock again.
const REVIEW_EVERY: Duration = Duration::from_secs(30);

/// The app stopped listening: nobody would hear about new orders, so the watcher ends.
pub(super) struct Closed;

pub(super) type Flow = Result<(), Closed>;

/// The next thing to do, in order of precedence when several are due together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Action {
    /// Free (not rate limited), so it never waits for anything else.
    Probe,
    /// Free: the page of an order created minutes ago, that a client may be paying now.
    FollowFresh,
    /// Free: each service's order count. Before a listing due at the same moment, so the
    /// counts it starts from are older than the listing.
    Counts,
    /// Free: the page of an order waiting for payment.
    Follow,
    /// Deliveries before polls: the creator is waiting on them and the reserve is theirs.
    Deliver,
    Poll,
}

pub(super) struct Runner<M, C> {
    pub market: M,
    pub clock: C,
    pub policy: Policy,
    pub ledger: SharedLedger,
    pub seen: SeenOrders,
    pub queue: PendingDeliveries,
    pub events: mpsc::Sender<WatchEvent>,
    pub commands: mpsc::Receiver<WatchCommand>,
    pub status: watch::Sender<WatchStatus>,
    pub rng: StdRng,
    pub paused: bool,
    /// A Check now while paused: one poll, then paused again.
    pub check_once: bool,
    /// When the watcher would like to poll, before the budget has its say, and why.
    pub poll_wanted: SystemTime,
    pub poll_why: Waiting,
    /// Failed polls in a row (network, 5xx, unexpected answers).
    pub failures: u32,
    /// The current backoff is because of the network (so it ends when the network is back).
    pub poll_backoff_network: bool,
    pub last_poll: Option<SystemTime>,
    pub last_check: Option<SystemTime>,
    /// Probing `GET /agents/me` because the network seemed down.
    pub offline: bool,
    pub probe_at: SystemTime,
    /// A probe failed since going offline: the next one that succeeds means the network
    /// came back, and the watcher polls at once instead of sitting out its backoff.
    pub probe_saw_down: bool,
    /// Check now while offline: poll as soon as a probe gets through.
    pub poll_after_probe: bool,
    pub problem: Option<Problem>,
    /// Problems found while loading, told once the loop runs.
    pub startup_problems: Vec<Problem>,
    pub signals: Signals,
}

impl<M: Marketplace, C: Clock> Runner<M, C> {
    pub async fn run(mut self) {
        let _ = self.run_until_stopped().await;
        let now = self.clock.moment();
        let mut last = self.snapshot(now, None);
        last.running = false;
        last.next_check = None;
        last.waiting = Waiting::Stopped;
        self.status.send_replace(last);
        let _ = self.events.send(WatchEvent::Stopped).await;
    }

    async fn run_until_stopped(&mut self) -> Flow {
        for problem in std::mem::take(&mut self.startup_problems) {
            self.report(problem).await?;
        }
        // A start is a fresh chance for deliveries that were waiting out a network
        // failure; 429 waits live in the ledger and still hold.
        if let Err(e) = self.queue.all_due_now() {
            self.report(Problem::from(&e)).await?;
        }
        loop {
            let moment = self.clock.moment();
            let now = moment.wall;
            // Before a restart can only read wall times, they must already tell the truth.
            self.ledger.lock().keep_in_step(moment);
            self.rein_in(now).await?;
            let next = self.next_action(moment);
            self.publish(moment);
            // Look up now and then even with nothing due: the budget left changes as calls
            // expire, and a wall clock that jumped must not leave the watcher asleep.
            let review = later(now, REVIEW_EVERY);
            let (wake, action) = match next {
                Some((at, action)) if at <= review => (at, Some(action)),
                _ => (review, None),
            };
            let command = tokio::select! {
                biased;
                command = self.commands.recv() => Some(command),
                () = self.clock.sleep(wake.duration_since(now).unwrap_or_default()) => None,
            };
            match command {
                // Every handle is gone, or asked to stop.
                Some(None | Some(WatchCommand::Stop)) => return Ok(()),
                Some(Some(command)) => self.handle(command).await?,
                None => {
                    if let Some(action) = action {
                        self.act(action).await?;
                    }
                }
            }
        }
    }

    /// No wait may be longer than its rule allows from now. Waits are wall-clock times
    /// (they must mean the same after a restart), so a clock set back would otherwise
    /// stretch them by as much.
    async fn rein_in(&mut self, now: SystemTime) -> Flow {
        let p = &self.policy;
        let longest = match self.poll_why {
            Waiting::Interval => {
                let base = if self.signals.healthy(now) {
                    p.safety_net
                } else {
                    p.interval
                };
                base.saturating_add(base.mul_f64(p.jitter.clamp(0.0, 0.9)))
            }
            Waiting::Backoff => p.backoff_cap,
            Waiting::RateLimit => LONGEST_RATE_LIMIT_WAIT,
            _ => Duration::ZERO,
        };
        self.poll_wanted = self.poll_wanted.min(later(now, longest));
        self.last_poll = self.last_poll.map(|at| at.min(now));
        self.probe_at = self.probe_at.min(later(now, p.probe_interval));
        self.signals.rein_in(p, now);
        let longest_delivery_wait = p.backoff_cap.max(LONGEST_RATE_LIMIT_WAIT);
        if let Err(e) = self.queue.rein_in(later(now, longest_delivery_wait)) {
            self.report(Problem::from(&e)).await?;
        }
        Ok(())
    }

    async fn act(&mut self, action: Action) -> Flow {
        match action {
            Action::Probe => self.probe().await,
            Action::Counts => self.read_counts().await,
            Action::Follow | Action::FollowFresh => self.follow_next().await,
            Action::Deliver => self.deliver_next().await,
            Action::Poll => self.poll().await,
        }
    }

    /// The earliest due action, if anything is waiting at all.
    fn next_action(&self, now: Moment) -> Option<(SystemTime, Action)> {
        let mut candidates = Vec::with_capacity(5);
        let wants_probe =
            self.offline && (!self.paused || self.check_once || !self.queue.is_empty());
        // While signals are on, reading the counts is the probe: it is free too.
        if wants_probe && !self.signals.on() {
            let at = self
                .probe_at
                .max(self.signals.free_at(&self.policy, now.wall));
            candidates.push((at, Action::Probe));
        }
        if !self.paused || (wants_probe && self.signals.on()) {
            let at = self.signals.read_plan(&self.policy, now.wall);
            candidates.push((at, Action::Counts));
        }
        if !self.paused {
            if let Some((at, fresh)) = self.signals.follow_plan(&self.policy, now.wall) {
                // A page a client may be paying for right now goes before the counts.
                let action = if fresh {
                    Action::FollowFresh
                } else {
                    Action::Follow
                };
                candidates.push((at, action));
            }
        }
        if let Some(due) = self.queue.next_due(now.wall) {
            let at = self.ledger.next_free_slot(CallKind::Deliver, now.at(due));
            candidates.push((at, Action::Deliver));
        }
        if let Some(plan) = self.poll_plan(now) {
            candidates.push((plan.at, Action::Poll));
        }
        candidates.into_iter().min()
    }

    pub(super) fn poll_plan(&self, now: Moment) -> Option<Plan> {
        if self.paused && !self.check_once {
            return None;
        }
        let ledger = self.ledger.lock();
        Some(plan_poll(
            &self.policy,
            self.poll_wanted,
            self.poll_why,
            self.last_poll,
            &ledger,
            now,
        ))
    }

    async fn handle(&mut self, command: WatchCommand) -> Flow {
        let now = self.clock.now();
        match command {
            WatchCommand::CheckNow => {
                self.check_once = self.paused;
                if self.offline {
                    // A probe costs nothing; a poll that cannot get through would. The
                    // poll follows if the probe gets through.
                    self.probe_at = now;
                    self.signals.read_at = now;
                    self.poll_after_probe = true;
                } else {
                    self.want_poll_now(now);
                }
            }
            WatchCommand::Pause => {
                if !self.paused {
                    self.paused = true;
                    self.check_once = false;
                    self.emit(WatchEvent::Paused).await?;
                }
            }
            WatchCommand::Resume => {
                if self.paused {
                    self.paused = false;
                    self.want_poll_now(now);
                    self.emit(WatchEvent::Resumed).await?;
                }
            }
            WatchCommand::Deliver { order_id, delivery } => match validate::delivery(&delivery) {
                Err(invalid) => {
                    let problem = Problem::from(&ApiError::Invalid(invalid));
                    self.emit(WatchEvent::DeliveryFailed { order_id, problem })
                        .await?;
                }
                Ok(clean) => {
                    if let Err(e) = self.queue.queue(&order_id, clean, now) {
                        self.report(Problem::from(&e)).await?;
                    }
                }
            },
            WatchCommand::Stop => {}
        }
        Ok(())
    }

    pub(super) fn want_poll_now(&mut self, now: SystemTime) {
        self.poll_wanted = now;
        self.poll_why = Waiting::Now;
    }

    pub(super) fn snapshot(&self, now: Moment, poll: Option<Plan>) -> WatchStatus {
        let ledger = self.ledger.lock();
        WatchStatus {
            running: true,
            paused: self.paused,
            offline: self.offline,
            last_check: self.last_check.map(stamp),
            next_check: poll.map(|p| stamp(p.at)),
            waiting: match poll {
                Some(p) => p.waiting,
                None => Waiting::Paused,
            },
            budget_left: ledger.remaining(now),
            budget_limit: ledger.budget().orders_limit,
            pending_deliveries: self.queue.len(),
            problem: self.problem.clone(),
            signals: self.signals.healthy(now.wall),
            following: self.signals.following(),
        }
    }

    /// Updates the status for the UI (subscribers hear only of real changes).
    fn publish(&self, now: Moment) {
        let snapshot = self.snapshot(now, self.poll_plan(now));
        self.status.send_if_modified(|old| {
            let changed = *old != snapshot;
            *old = snapshot;
            changed
        });
    }

    /// Tells the app, with the status already saying the same.
    pub(super) async fn emit(&self, event: WatchEvent) -> Flow {
        self.publish(self.clock.moment());
        self.events.send(event).await.map_err(|_| Closed)
    }

    /// Shows a problem in the status and tells the app once.
    pub(super) async fn report(&mut self, problem: Problem) -> Flow {
        self.problem = Some(problem.clone());
        self.emit(WatchEvent::Problem { problem }).await
    }

    /// Tells the app if the ledger could not be saved.
    pub(super) async fn report_ledger_problem(&mut self) -> Flow {
        let trouble = self.ledger.take_problem(self.clock.moment());
        match trouble {
            Some(problem) => self.report(problem).await,
            None => Ok(()),
        }
    }
}
