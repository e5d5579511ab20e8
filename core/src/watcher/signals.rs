//! Watching the free signals: each service's `total_orders` (rises when a client creates an
//! order, before paying) and each unpaid order's own page. Neither is rate limited on the
//! real server, so a paid order can be announced within seconds while the limited listing
//! is spent only when a count rose, for deliveries, and as a slow safety net. A server that
//! cannot give them makes the watcher poll as it always did. See `docs/watcher.md`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use super::clock::{later, Clock, Moment};
use super::event::{Problem, WatchEvent};
use super::market::Marketplace;
use super::run::{Flow, Runner};
use super::schedule::{jittered_interval, rate_limit_wait, Policy};
use crate::error::ApiError;
use crate::models::{Order, OrderStatus};

/// A followed order younger than this is read as often as the free calls allow: a web
/// checkout pays seconds after creating the order.
const FRESH: Duration = Duration::from_secs(5 * 60);
/// How soon after a listing showed an order unpaid its page is read first.
const FIRST_LOOK: Duration = Duration::from_secs(5);
/// A followed order younger than this (and past `FRESH`) is read every minute.
const OLDER: Duration = Duration::from_secs(2 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Signals are read (or about to be tried).
    On,
    /// The server cannot give them; polling until `retry_at`, when they are tried again.
    Off { retry_at: SystemTime },
}

#[derive(Debug, Clone)]
pub(super) struct Followed {
    status: OrderStatus,
    /// When the order was created (the server's time, or when first seen if later).
    since: SystemTime,
    due: SystemTime,
}

#[derive(Debug)]
pub(super) struct Signals {
    pub mode: Mode,
    /// The counts last read, by service; `None` until a read after which every order
    /// created is known to have been listed (or to be owed a listing).
    counts: Option<HashMap<String, u64>>,
    /// When the counts are read next.
    pub read_at: SystemTime,
    /// Failed reads of the counts in a row.
    failures: u32,
    /// When a count last rose (or the watcher started).
    last_change: SystemTime,
    /// A count rose at this moment: a listing that starts after it is owed.
    pub listing_owed: Option<SystemTime>,
    /// When the last successful listing started.
    listed_from: Option<SystemTime>,
    following: BTreeMap<String, Followed>,
    /// Starts of the latest free calls, at most `free_calls_per_minute` of them.
    recent: FreeCalls,
    /// 429s: counts and order pages each wait out their own.
    counts_blocked: Option<SystemTime>,
    pages_blocked: Option<SystemTime>,
}

/// The latest free calls made for one agent, shared by every watcher this process starts
/// for it: a watcher restarted (the desk reviving it, a new target and back) must not
/// spend again the minute its predecessor just spent.
type FreeCalls = Arc<Mutex<VecDeque<SystemTime>>>;

pub(super) fn free_calls_for(data_dir: &Path) -> FreeCalls {
    static ALL: OnceLock<Mutex<HashMap<PathBuf, FreeCalls>>> = OnceLock::new();
    let mut all = ALL
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    all.entry(data_dir.to_owned()).or_default().clone()
}

impl Signals {
    pub fn new(now: SystemTime, recent: FreeCalls) -> Signals {
        Signals {
            mode: Mode::On,
            counts: None,
            read_at: now,
            failures: 0,
            last_change: now,
            listing_owed: None,
            listed_from: None,
            following: BTreeMap::new(),
            recent,
            counts_blocked: None,
            pages_blocked: None,
        }
    }

    pub fn on(&self) -> bool {
        self.mode == Mode::On
    }

    /// The signals can be trusted to show a new order now: the listing may be rare.
    pub fn healthy(&self, now: SystemTime) -> bool {
        self.on()
            && self.counts.is_some()
            && self.failures == 0
            && self.counts_blocked.is_none_or(|until| until <= now)
    }

    pub fn following(&self) -> usize {
        self.following.len()
    }

    /// The earliest a free call may start: never more than the policy's number in any
    /// rolling minute (a second more, for the request's way to the server), less `keep`
    /// slots left for more pressing calls.
    pub fn free_at(&self, policy: &Policy, now: SystemTime) -> SystemTime {
        self.free_keeping(policy, 0, now)
    }

    fn free_keeping(&self, policy: &Policy, keep: u32, now: SystemTime) -> SystemTime {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let n = policy
            .free_calls_per_minute
            .max(1)
            .saturating_sub(keep)
            .max(1);
        let n = usize::try_from(n).unwrap_or(1);
        if recent.len() < n {
            return now;
        }
        let oldest = recent[recent.len() - n].min(now);
        later(oldest, Duration::from_secs(61)).max(now)
    }

    pub fn note_call(&mut self, policy: &Policy, at: SystemTime) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.push_back(at);
        let n = usize::try_from(policy.free_calls_per_minute.max(1)).unwrap_or(1);
        while recent.len() > n {
            recent.pop_front();
        }
    }

    /// When the counts are read next (the hourly retry while off).
    pub fn read_plan(&self, policy: &Policy, now: SystemTime) -> SystemTime {
        let wanted = match self.mode {
            Mode::On => self.read_at,
            Mode::Off { retry_at } => retry_at,
        };
        let blocked = self.counts_blocked.unwrap_or(now);
        wanted.max(blocked).max(self.free_at(policy, now))
    }

    /// When the next followed order's page is read, if any is followed, and whether it is
    /// one a client may be paying right now. Older orders only take a free call while one
    /// is left in the minute: the counts (new orders) and fresh pages come first, and the
    /// safety net's listing catches a late payment anyway.
    pub fn follow_plan(&self, policy: &Policy, now: SystemTime) -> Option<(SystemTime, bool)> {
        if !self.on() {
            return None;
        }
        let blocked = self.pages_blocked.unwrap_or(now);
        let (fresh, older): (Vec<&Followed>, Vec<&Followed>) =
            self.following.values().partition(|f| is_fresh(f, now));
        let fresh = fresh.iter().map(|f| f.due).min().map(|due| {
            (
                due.max(blocked).max(self.free_keeping(policy, 0, now)),
                true,
            )
        });
        let older = older.iter().map(|f| f.due).min().map(|due| {
            (
                due.max(blocked).max(self.free_keeping(policy, 1, now)),
                false,
            )
        });
        match (fresh, older) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// The followed order to read now: one a client may be paying this minute first, then
    /// the one due longest. Older orders must not starve a fresh one of the free calls.
    fn pick(&self, now: SystemTime) -> Option<String> {
        let due = self.following.iter().filter(|(_, f)| f.due <= now);
        due.min_by_key(|(_, f)| (!is_fresh(f, now), f.due))
            .map(|(id, _)| id.clone())
    }

    /// A clock set back must not leave reads far in the future.
    pub fn rein_in(&mut self, policy: &Policy, now: SystemTime) {
        self.read_at = self.read_at.min(later(
            now,
            policy.signal_every_quiet.max(policy.probe_interval),
        ));
        if let Mode::Off { retry_at } = &mut self.mode {
            *retry_at = (*retry_at).min(later(now, policy.signals_retry));
        }
        for f in self.following.values_mut() {
            f.due = f.due.min(later(now, Duration::from_secs(30 * 60)));
            f.since = f.since.min(now);
        }
        self.last_change = self.last_change.min(now);
    }

    /// How often the counts are read: less while a fresh order is followed (its page is
    /// the better use of the free calls), and less once nothing has changed for long.
    fn read_every(&self, policy: &Policy, now: SystemTime) -> Duration {
        let fresh = self.following.values().any(|f| is_fresh(f, now));
        let awaited = self
            .following
            .values()
            .any(|f| awaits_payment(&f.status) && age(f.since, now) < OLDER);
        if fresh {
            // Half the free calls for the counts, half for the pages being paid.
            policy.signal_every.saturating_mul(2)
        } else if awaited {
            // One call a minute left for the pages of orders a client may still pay.
            policy.signal_every.mul_f64(4.0 / 3.0)
        } else if age(self.last_change, now) >= policy.quiet_after {
            policy.signal_every_quiet
        } else {
            policy.signal_every
        }
    }

    /// A listing went through (started at `start`): orders waiting for payment are
    /// followed from now on; with `complete`, the listing showed every order not yet
    /// delivered, so a followed order missing from it (cancelled) is no longer followed.
    pub fn listed(&mut self, orders: &[Order], complete: bool, start: SystemTime, now: SystemTime) {
        if self.listing_owed.is_some_and(|owed| owed <= start) {
            self.listing_owed = None;
        }
        self.listed_from = Some(self.listed_from.map_or(start, |l| l.max(start)));
        if !self.on() {
            return;
        }
        if complete {
            self.following
                .retain(|id, _| orders.iter().any(|o| &o.id == id && unpaid(&o.status)));
        } else {
            self.following
                .retain(|id, _| !orders.iter().any(|o| &o.id == id && o.status.is_payable()));
        }
        for order in orders.iter().filter(|o| unpaid(&o.status)) {
            if self.following.contains_key(&order.id) {
                continue;
            }
            let since = order
                .created_at
                .map(|c| SystemTime::from(c.as_offset()))
                .unwrap_or(now)
                .min(now);
            self.following.insert(
                order.id.clone(),
                Followed {
                    status: order.status.clone(),
                    since,
                    // Just seen unpaid: a few seconds give the client time to pay.
                    due: later(now, FIRST_LOOK),
                },
            );
        }
    }

    /// The server cannot give the signals: poll until they are tried again.
    fn off(&mut self, policy: &Policy, now: SystemTime) {
        self.mode = Mode::Off {
            retry_at: later(now, policy.signals_retry),
        };
        self.counts = None;
        self.following.clear();
    }
}

/// Statuses from which a client can still pay (or, for `pending_quote`, could once quoted).
fn unpaid(status: &OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::PendingQuote | OrderStatus::Quoted | OrderStatus::Accepted
    )
}

/// Payable by the client now; `pending_quote` waits for a quote this API cannot send.
fn awaits_payment(status: &OrderStatus) -> bool {
    matches!(status, OrderStatus::Quoted | OrderStatus::Accepted)
}

/// Created minutes ago and payable: a client may be paying it right now.
fn is_fresh(f: &Followed, now: SystemTime) -> bool {
    awaits_payment(&f.status) && age(f.since, now) < FRESH
}

fn age(since: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(since).unwrap_or_default()
}

/// How long until a followed order's page is read again, by how old it is; `None` when it
/// has been followed long enough (the safety net's listing still catches a late payment).
fn follow_every(policy: &Policy, f: &Followed, now: SystemTime) -> Option<Duration> {
    let age = age(f.since, now);
    if age >= policy.follow_for {
        return None;
    }
    let every = if !awaits_payment(&f.status) {
        Duration::from_secs(30 * 60)
    } else if age < FRESH {
        policy.signal_every
    } else if age < OLDER {
        Duration::from_secs(60)
    } else {
        // The safety net's listing comes about as often.
        Duration::from_secs(15 * 60)
    };
    Some(every)
}

/// An answer that says the server has no such call (or will not let us use it).
fn unsupported(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::NotFound { .. }
            | ApiError::Forbidden { .. }
            | ApiError::UnexpectedResponse { status: 405, .. }
    )
}

impl<M: Marketplace, C: Clock> Runner<M, C> {
    /// Reads every service's order count; a rise asks for a listing at once.
    pub(super) async fn read_counts(&mut self) -> Flow {
        let start = self.clock.now();
        let policy = self.policy;
        self.signals.note_call(&policy, start);
        let was_healthy = self.signals.healthy(start);
        let answer = self.market.order_counts().await;
        let end = self.clock.moment();
        let now = end.wall;
        match answer {
            Ok(counts) if counts.iter().all(|(_, n)| n.is_some()) => {
                let counts: HashMap<String, u64> = counts
                    .into_iter()
                    .map(|(id, n)| (id, n.unwrap_or_default()))
                    .collect();
                let rose = match &self.signals.counts {
                    Some(old) => counts
                        .iter()
                        .any(|(id, n)| old.get(id).map_or(*n > 0, |before| n > before)),
                    // Counts first read after a listing: an order created between the two
                    // would go unseen, so one more listing settles it.
                    None => self.signals.listed_from.is_some_and(|l| l < start),
                };
                self.signals.mode = Mode::On;
                self.signals.counts = Some(counts);
                self.signals.failures = 0;
                if rose {
                    self.signals.last_change = now;
                    self.signals.listing_owed.get_or_insert(start);
                    self.want_poll_now(now);
                }
                self.signals.read_at = later(now, self.signals.read_every(&policy, now));
                if self.offline {
                    self.reached(now).await?;
                }
            }
            // Counts the server does not give: nothing to watch.
            Ok(_) => self.signals_off(now),
            Err(e) if unsupported(&e) => self.signals_off(now),
            Err(ApiError::RateLimited {
                retry_after_secs,
                reset_at,
            }) => {
                let wait = rate_limit_wait(&policy, retry_after_secs, reset_at, now);
                let until = later(now, wait);
                self.signals.counts_blocked = Some(until);
                self.signals.read_at = until;
                if was_healthy {
                    self.poll_sooner(now);
                }
            }
            Err(e) => {
                self.signals.failures = self.signals.failures.saturating_add(1);
                let wait = match e {
                    // A read of the counts is also the probe while signals are on.
                    ApiError::Network(_) => {
                        self.offline = true;
                        self.probe_saw_down = true;
                        policy.probe_interval
                    }
                    _ => policy
                        .signal_every
                        .saturating_mul(self.signals.failures.min(4)),
                };
                self.signals.read_at = later(now, wait);
                if was_healthy {
                    self.poll_sooner(now);
                }
            }
        }
        Ok(())
    }

    /// Reads the page of the followed order due first; announces it the moment it is paid.
    pub(super) async fn follow_next(&mut self) -> Flow {
        let start = self.clock.now();
        let Some(id) = self.signals.pick(start) else {
            return Ok(());
        };
        let policy = self.policy;
        self.signals.note_call(&policy, start);
        let answer = self.market.order(&id).await;
        let now = self.clock.now();
        match answer {
            Ok(order) if order.status.is_payable() => {
                self.signals.following.remove(&id);
                self.announce(&[order], now).await?;
            }
            Ok(order) if unpaid(&order.status) => {
                if let Some(f) = self.signals.following.get_mut(&id) {
                    f.status = order.status;
                    match follow_every(&policy, f, now) {
                        Some(every) => f.due = later(now, every),
                        None => {
                            self.signals.following.remove(&id);
                        }
                    }
                }
            }
            // Cancelled, delivered, or a status this app does not know: nothing to pay.
            Ok(_) => {
                self.signals.following.remove(&id);
            }
            Err(e) if unsupported(&e) => self.signals_off(now),
            Err(ApiError::RateLimited {
                retry_after_secs,
                reset_at,
            }) => {
                let wait = rate_limit_wait(&policy, retry_after_secs, reset_at, now);
                self.signals.pages_blocked = Some(later(now, wait));
                // Meanwhile a payment shows only in a listing.
                self.poll_sooner(now);
            }
            Err(e) => {
                let wait = match e {
                    ApiError::Network(_) => policy.probe_interval,
                    _ => Duration::from_secs(30),
                };
                if let Some(f) = self.signals.following.get_mut(&id) {
                    f.due = later(now, wait);
                }
            }
        }
        Ok(())
    }

    /// Announces the payable ones among `orders` never announced before, through the
    /// seen-orders store (saved first), so each is announced once, also across restarts.
    pub(super) async fn announce(&mut self, orders: &[Order], now: SystemTime) -> Flow {
        let admitted = self.seen.admit(orders, now);
        if let Some(e) = &admitted.store_error {
            self.report(Problem::from(e)).await?;
        }
        if !admitted.new.is_empty() {
            self.emit(WatchEvent::NewOrders {
                orders: admitted.new,
            })
            .await?;
        }
        Ok(())
    }

    /// The signals cannot be had from this server: poll as before, try again later.
    fn signals_off(&mut self, now: SystemTime) {
        let was_healthy = self.signals.healthy(now);
        let policy = self.policy;
        self.signals.off(&policy, now);
        if was_healthy {
            self.poll_sooner(now);
        }
    }

    /// The signals stopped showing new orders: the listing goes back to the polling
    /// interval from the last one, instead of waiting for the safety net.
    fn poll_sooner(&mut self, now: SystemTime) {
        let from = self.last_poll.unwrap_or(now);
        let interval = jittered_interval(&self.policy, &mut self.rng);
        self.poll_wanted = self.poll_wanted.min(later(from, interval));
    }

    /// When the listing is wanted next after one that started at `start`.
    pub(super) fn next_listing(&mut self, start: SystemTime, now: Moment) -> SystemTime {
        let base = if self.signals.healthy(now.wall) {
            self.policy.safety_net
        } else {
            self.policy.interval
        };
        later(
            start,
            super::schedule::jittered(&self.policy, base, &mut self.rng),
        )
    }
}
