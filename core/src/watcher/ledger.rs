//! The app's own count of rate-limited calls. Atelier counts every limited request from one
//! IP in one shared counter and says nothing about it until it answers 429, so the app must
//! count for itself, across restarts, and for every part of the app that makes such calls.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::clock::later;
use super::store::{self, from_ms, to_ms, StoreError};
use crate::error::LONGEST_RATE_LIMIT_WAIT;

/// A request that counts toward the shared limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// `POST /agents/register`
    Register,
    /// `POST /agents/{id}/services`
    ServiceCreate,
    /// `GET /agents/{id}/orders` made to look for new orders.
    OrdersPoll,
    /// `GET /agents/{id}/orders` made to learn whether an uncertain delivery went through.
    /// The server counts it as a poll; it may use the delivery reserve because it exists
    /// only to finish a delivery.
    DeliveryCheck,
    /// `POST /orders/{id}/deliver`
    Deliver,
}

/// The limits the ledger keeps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Order polls and deliveries (the server's 30).
    pub orders_limit: u32,
    /// Registration (5) and service creation (20): the server compares its *shared* count
    /// with these, so they are reached sooner than they look.
    pub register_limit: u32,
    pub service_create_limit: u32,
    /// Slots under `orders_limit` that polling never takes, so a delivery is never blocked
    /// by the watcher's own polling.
    pub delivery_reserve: u32,
    /// How long a call counts. The server's hour is measured from when requests arrive and
    /// ours from when they leave; a request can take up to 30 s to arrive, so counting each
    /// call 30 s longer keeps the two views safely apart.
    pub window: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            orders_limit: 30,
            register_limit: 5,
            service_create_limit: 20,
            delivery_reserve: 6,
            window: Duration::from_secs(3600 + 30),
        }
    }
}

impl Budget {
    /// The highest shared count at which a call of `kind` may still be made, plus one.
    pub fn cap(&self, kind: CallKind) -> u32 {
        match kind {
            CallKind::Register => self.register_limit,
            CallKind::ServiceCreate => self.service_create_limit,
            CallKind::OrdersPoll => self.orders_limit.saturating_sub(self.delivery_reserve),
            CallKind::DeliveryCheck | CallKind::Deliver => self.orders_limit,
        }
    }
}

/// Why a call has to wait, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotYet {
    pub until: SystemTime,
    pub reason: WaitReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// Our own count says the hour is used up.
    Budget,
    /// The server said 429 and when to come back.
    RateLimited,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Saved {
    version: u32,
    calls: Vec<SavedCall>,
    #[serde(default)]
    blocked_until_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedCall {
    at_ms: u64,
    kind: CallKind,
}

/// Limited calls over a rolling window, oldest first.
#[derive(Debug)]
pub struct CallLedger {
    budget: Budget,
    calls: VecDeque<(SystemTime, CallKind)>,
    blocked_until: Option<SystemTime>,
    path: Option<PathBuf>,
    store_problem: Option<String>,
}

impl CallLedger {
    /// A ledger that is not saved anywhere (tests, simulations).
    pub fn in_memory(budget: Budget) -> CallLedger {
        CallLedger {
            budget,
            calls: VecDeque::new(),
            blocked_until: None,
            path: None,
            store_problem: None,
        }
    }

    /// Loads the ledger kept at `path`, or starts an empty one there. A damaged file is
    /// set aside and the ledger starts empty (the server's 429 remains the backstop);
    /// [`CallLedger::take_store_problem`] says so.
    pub fn open(path: &Path, budget: Budget) -> Result<CallLedger, StoreError> {
        let mut ledger = CallLedger::in_memory(budget);
        ledger.path = Some(path.to_owned());
        let (saved, damage) = store::load::<Saved>(path)?;
        ledger.store_problem = damage.map(|e| e.to_string());
        if let Some(saved) = saved {
            let mut calls: Vec<_> = saved
                .calls
                .into_iter()
                .map(|c| (from_ms(c.at_ms), c.kind))
                .collect();
            calls.sort_by_key(|(at, _)| *at);
            ledger.calls = calls.into();
            ledger.blocked_until = saved.blocked_until_ms.map(from_ms);
        }
        Ok(ledger)
    }

    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Limited calls of every kind that still count at `now`.
    pub fn used(&self, now: SystemTime) -> u32 {
        let since = self.window_start(now);
        let n = self
            .calls
            .iter()
            .rev()
            .take_while(|(at, _)| *at > since)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// What is left of the shared order budget (polls and deliveries) at `now`.
    pub fn remaining(&self, now: SystemTime) -> u32 {
        if self.blocked_at(now).is_some() {
            return 0;
        }
        self.budget.orders_limit.saturating_sub(self.used(now))
    }

    /// The earliest moment at or after `now` when a call of `kind` may be made.
    pub fn next_free_slot(&self, kind: CallKind, now: SystemTime) -> SystemTime {
        match self.check(kind, now) {
            Ok(()) => now,
            Err(wait) => wait.until,
        }
    }

    pub fn can_spend(&self, kind: CallKind, now: SystemTime) -> bool {
        self.check(kind, now).is_ok()
    }

    /// Records a call of `kind` at `now` if the budget allows it, else says until when to
    /// wait. Check and record happen together, so two parts of the app cannot both take
    /// the last slot.
    pub fn try_spend(&mut self, kind: CallKind, now: SystemTime) -> Result<(), NotYet> {
        self.check(kind, now)?;
        self.clamp_future(now);
        self.record(kind, now);
        Ok(())
    }

    /// Records a call that was made without asking first (it counts all the same).
    pub fn record(&mut self, kind: CallKind, at: SystemTime) {
        let position = self.calls.partition_point(|(t, _)| *t <= at);
        self.calls.insert(position, (at, kind));
        // Whatever expired before `at` has expired now too, even if `at` is a little late.
        let since = self.window_start(at);
        while self.calls.front().is_some_and(|(t, _)| *t <= since) {
            self.calls.pop_front();
        }
        if self.blocked_until.is_some_and(|b| b <= at) {
            self.blocked_until = None;
        }
        self.save();
    }

    /// The server answered 429: no limited call of any kind until `until`.
    pub fn note_rate_limited(&mut self, until: SystemTime) {
        if self.blocked_until.is_none_or(|b| b < until) {
            self.blocked_until = Some(until);
            self.save();
        }
    }

    /// The end of a 429 wait still running at `now`.
    /// No 429 is obeyed for longer than [`LONGEST_RATE_LIMIT_WAIT`]; a longer wait can only
    /// come from a wall clock that was set back (or an edited file), and is cut to that.
    pub fn blocked_at(&self, now: SystemTime) -> Option<SystemTime> {
        self.blocked_until
            .filter(|b| *b > now)
            .map(|b| b.min(later(now, LONGEST_RATE_LIMIT_WAIT)))
    }

    /// The calls that still count, oldest first (for display and tests).
    pub fn calls(&self) -> impl Iterator<Item = (SystemTime, CallKind)> + '_ {
        self.calls.iter().copied()
    }

    /// A problem saving or loading the ledger since the last call, for the UI.
    pub fn take_store_problem(&mut self) -> Option<String> {
        self.store_problem.take()
    }

    fn check(&self, kind: CallKind, now: SystemTime) -> Result<(), NotYet> {
        if let Some(until) = self.blocked_at(now) {
            return Err(NotYet {
                until,
                reason: WaitReason::RateLimited,
            });
        }
        let cap = usize::try_from(self.budget.cap(kind)).unwrap_or(usize::MAX);
        let since = self.window_start(now);
        // A call "in the future" (the wall clock was set back) is taken as made now: it
        // keeps counting for a full window, never longer. Clamping keeps the order.
        let counting: Vec<SystemTime> = self
            .calls
            .iter()
            .map(|(at, _)| (*at).min(now))
            .filter(|at| *at > since)
            .collect();
        if counting.len() < cap {
            return Ok(());
        }
        // The call that must expire for the count to drop below the cap; with a cap of 0
        // nothing ever frees a slot, and a window from now is the honest answer.
        let until = match counting
            .len()
            .checked_sub(cap)
            .and_then(|k| counting.get(k))
        {
            Some(at) if cap > 0 => later(*at, self.budget.window),
            _ => later(now, self.budget.window),
        };
        Err(NotYet {
            until: until.max(now),
            reason: WaitReason::Budget,
        })
    }

    fn window_start(&self, now: SystemTime) -> SystemTime {
        now.checked_sub(self.budget.window)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }

    fn clamp_future(&mut self, now: SystemTime) {
        for (at, _) in self.calls.iter_mut() {
            if *at > now {
                *at = now;
            }
        }
    }

    fn save(&mut self) {
        let Some(path) = &self.path else { return };
        let saved = Saved {
            version: 1,
            calls: self
                .calls
                .iter()
                .map(|(at, kind)| SavedCall {
                    at_ms: to_ms(*at),
                    kind: *kind,
                })
                .collect(),
            blocked_until_ms: self.blocked_until.map(to_ms),
        };
        if let Err(e) = store::save(path, &saved) {
            self.store_problem = Some(e.to_string());
        }
    }
}

/// One ledger shared by the watcher and the rest of the app. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SharedLedger(Arc<Mutex<CallLedger>>);

impl SharedLedger {
    pub fn new(ledger: CallLedger) -> SharedLedger {
        SharedLedger(Arc::new(Mutex::new(ledger)))
    }

    /// Locks the ledger. The lock is never held across an await or a network call.
    pub fn lock(&self) -> MutexGuard<'_, CallLedger> {
        // A panic elsewhere while holding the lock leaves consistent data behind (every
        // method finishes its change before saving), so carrying on is safe.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn try_spend(&self, kind: CallKind, now: SystemTime) -> Result<(), NotYet> {
        self.lock().try_spend(kind, now)
    }

    pub fn record(&self, kind: CallKind, at: SystemTime) {
        self.lock().record(kind, at);
    }

    pub fn note_rate_limited(&self, until: SystemTime) {
        self.lock().note_rate_limited(until);
    }

    pub fn remaining(&self, now: SystemTime) -> u32 {
        self.lock().remaining(now)
    }

    pub fn next_free_slot(&self, kind: CallKind, now: SystemTime) -> SystemTime {
        self.lock().next_free_slot(kind, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn hour_budget() -> Budget {
        Budget {
            window: HOUR,
            ..Budget::default()
        }
    }

    #[test]
    fn polls_stop_at_the_reserve_and_deliveries_use_the_rest() {
        let mut ledger = CallLedger::in_memory(hour_budget());
        for i in 0..24 {
            ledger.try_spend(CallKind::OrdersPoll, t(i * 10)).unwrap();
        }
        let refused = ledger.try_spend(CallKind::OrdersPoll, t(300)).unwrap_err();
        assert_eq!(refused.reason, WaitReason::Budget);
        assert_eq!(
            refused.until,
            t(3600),
            "the oldest poll has to expire first"
        );
        for i in 0..6 {
            ledger.try_spend(CallKind::Deliver, t(300 + i)).unwrap();
        }
        assert_eq!(ledger.remaining(t(310)), 0);
        assert!(!ledger.can_spend(CallKind::Deliver, t(310)));
        // After the first poll expires, 29 count: a delivery fits, a poll does not.
        assert!(ledger.can_spend(CallKind::Deliver, t(3600)));
        assert!(!ledger.can_spend(CallKind::OrdersPoll, t(3600)));
        assert_eq!(
            ledger.next_free_slot(CallKind::OrdersPoll, t(3600)),
            t(3660)
        );
    }

    #[test]
    fn registration_is_judged_against_the_shared_count() {
        let mut ledger = CallLedger::in_memory(hour_budget());
        for i in 0..5 {
            ledger.try_spend(CallKind::ServiceCreate, t(i)).unwrap();
        }
        assert!(!ledger.can_spend(CallKind::Register, t(10)));
        assert!(ledger.can_spend(CallKind::ServiceCreate, t(10)));
        assert_eq!(ledger.next_free_slot(CallKind::Register, t(10)), t(3600));
    }

    #[test]
    fn a_429_blocks_every_kind_until_its_end() {
        let mut ledger = CallLedger::in_memory(hour_budget());
        ledger.note_rate_limited(t(100));
        let wait = ledger.try_spend(CallKind::Deliver, t(50)).unwrap_err();
        assert_eq!(
            wait,
            NotYet {
                until: t(100),
                reason: WaitReason::RateLimited
            }
        );
        assert_eq!(ledger.remaining(t(50)), 0);
        assert!(ledger.try_spend(CallKind::OrdersPoll, t(100)).is_ok());
    }

    #[test]
    fn calls_survive_a_restart() {
        let path = std::env::temp_dir().join(format!(
            "atelier-ledger-{}-{}.json",
            std::process::id(),
            to_ms(SystemTime::now())
        ));
        let mut ledger = CallLedger::open(&path, hour_budget()).unwrap();
        ledger.try_spend(CallKind::OrdersPoll, t(0)).unwrap();
        ledger.try_spend(CallKind::Deliver, t(5)).unwrap();
        ledger.note_rate_limited(t(60));
        drop(ledger);
        let reopened = CallLedger::open(&path, hour_budget()).unwrap();
        assert_eq!(reopened.used(t(10)), 2);
        assert_eq!(reopened.blocked_at(t(10)), Some(t(60)));
        assert_eq!(
            reopened.calls().map(|(_, k)| k).collect::<Vec<_>>(),
            [CallKind::OrdersPoll, CallKind::Deliver]
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_clock_set_back_never_blocks_for_longer_than_a_window() {
        let mut ledger = CallLedger::in_memory(hour_budget());
        for i in 0..24 {
            ledger.record(CallKind::OrdersPoll, t(10_000 + i));
        }
        // The clock now reads a day earlier; the recorded calls count from "now".
        ledger.try_spend(CallKind::Deliver, t(0)).unwrap();
        assert_eq!(ledger.next_free_slot(CallKind::OrdersPoll, t(0)), t(3600));
    }
}
