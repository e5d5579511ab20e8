//! The app's own count of rate-limited calls. Atelier counts every limited request from one
//! IP in one shared counter and says nothing about it until it answers 429, so the app must
//! count for itself, across restarts, and for every part of the app that makes such calls.
//!
//! Every doubt is settled on the careful side: a count that was lost (a damaged file, one
//! from another version, one that cannot be read) means the hour is taken as used up, and
//! a call made during this run counts for as long as *either* clock says it is recent, so
//! a wall clock that jumps forward cannot make the app forget what it just sent.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::clock::{later, Moment};
use super::event::{in_about, Problem};
use super::store::{self, from_ms, to_ms, StoreError};
use crate::error::LONGEST_RATE_LIMIT_WAIT;
use crate::json_file;

/// The file format this version writes and understands.
const VERSION: u32 = 1;

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
    /// Until when the hour is taken as used up because the count was lost. Older versions
    /// ignore it, which only makes them as careless as they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    spent_until_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedCall {
    at_ms: u64,
    kind: CallKind,
}

#[derive(Debug, Clone, Copy)]
struct Call {
    wall: SystemTime,
    /// Only for calls made during this run: an `Instant` means nothing after a restart.
    mono: Option<Instant>,
    kind: CallKind,
}

/// Limited calls over a rolling window, oldest (by wall time) first.
#[derive(Debug)]
pub struct CallLedger {
    budget: Budget,
    calls: VecDeque<Call>,
    blocked_until: Option<Moment>,
    spent_until: Option<Moment>,
    path: Option<PathBuf>,
    /// Why the count was lost, until the app has been told.
    lost: Option<String>,
    save_problem: Option<String>,
}

impl CallLedger {
    /// A ledger that is not saved anywhere (tests, simulations).
    pub fn in_memory(budget: Budget) -> CallLedger {
        CallLedger {
            budget,
            calls: VecDeque::new(),
            blocked_until: None,
            spent_until: None,
            path: None,
            lost: None,
            save_problem: None,
        }
    }

    /// Loads the ledger kept at `path`, or starts an empty one there. A damaged file, or
    /// one written by another version, is set aside and the hour from now is taken as
    /// used up: what it held is unknown, and "nothing" is the one guess that can get the
    /// app blocked. [`CallLedger::take_problem`] says so. Only failing to read the file or
    /// to set it aside is an error (see [`CallLedger::open_or_assume_spent`]).
    pub fn open(path: &Path, budget: Budget) -> Result<CallLedger, StoreError> {
        CallLedger::open_at(path, budget, Moment::now())
    }

    /// As [`CallLedger::open`], at `now` (simulations).
    pub fn open_at(
        path: &Path,
        budget: Budget,
        now: impl Into<Moment>,
    ) -> Result<CallLedger, StoreError> {
        let now = now.into();
        let mut ledger = CallLedger::in_memory(budget);
        ledger.path = Some(path.to_owned());
        let (saved, damage) = store::load::<Saved>(path)?;
        let lost = match (saved, damage) {
            (_, Some(damage)) => Some(damage.to_string()),
            (Some(saved), None) if saved.version != VERSION => {
                let kept = json_file::set_aside(path).map_err(|source| StoreError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                Some(format!(
                    "{} is version {} of the count, which this version of Atelier Desk doesn't know; it was kept as {}",
                    path.display(),
                    saved.version,
                    kept.display()
                ))
            }
            (Some(saved), None) => {
                ledger.restore(saved, now);
                None
            }
            (None, None) => None,
        };
        if let Some(detail) = lost {
            ledger.assume_spent(now, detail);
        }
        Ok(ledger)
    }

    /// As [`CallLedger::open`], but a file that cannot even be read also means the hour is
    /// taken as used up, in memory, and saving is tried again with every change.
    pub fn open_or_assume_spent(path: &Path, budget: Budget) -> CallLedger {
        CallLedger::open(path, budget).unwrap_or_else(|e| {
            let mut ledger = CallLedger::in_memory(budget);
            ledger.path = Some(path.to_owned());
            ledger.assume_spent(Moment::now(), e.to_string());
            ledger
        })
    }

    /// Takes the saved times as the wall clock says them at `now`, and from then on also
    /// on the monotonic clock: whatever the wall clock does after this start cannot make
    /// a call from before it count for less than it did at the start.
    fn restore(&mut self, saved: Saved, now: Moment) {
        let mut calls: Vec<Call> = saved
            .calls
            .into_iter()
            .map(|c| {
                let wall = from_ms(c.at_ms);
                Call {
                    wall,
                    mono: now.at(wall.min(now.wall)).mono,
                    kind: c.kind,
                }
            })
            .collect();
        calls.sort_by_key(|c| c.wall);
        self.calls = calls.into();
        let until = |ms: u64| {
            let wall = from_ms(ms);
            Moment {
                wall,
                mono: now.at(wall.max(now.wall)).mono,
            }
        };
        self.blocked_until = saved.blocked_until_ms.map(until);
        self.spent_until = saved.spent_until_ms.map(until);
    }

    /// The count is unknown: the next window from `now` is taken as used up, and that is
    /// saved at once so a restart within it does not free it.
    fn assume_spent(&mut self, now: Moment, detail: String) {
        self.spent_until = Some(now.later(self.budget.window));
        self.lost = Some(detail);
        self.save();
    }

    /// Follows the wall clock if it jumped forward since the last look: the calls of this
    /// run are re-dated by their steady age, and saved so, so that a restart (which only
    /// has wall times) still counts them as long as they must. Cheap when nothing moved;
    /// the watcher calls it every time it looks at the clock.
    pub fn keep_in_step(&mut self, now: impl Into<Moment>) {
        if self.rebase(now.into()) {
            self.save();
        }
    }

    /// Moves the wall times of calls and waits to what the monotonic clock says, where
    /// that is later by more than a second. Says whether anything moved.
    fn rebase(&mut self, now: Moment) -> bool {
        const DRIFT: Duration = Duration::from_secs(1);
        let window = self.budget.window;
        let mut moved = false;
        for call in self.calls.iter_mut() {
            let start = expiry(window, call, now)
                .checked_sub(window)
                .unwrap_or(call.wall);
            if start > later(call.wall, DRIFT) {
                call.wall = start;
                moved = true;
            }
        }
        if moved {
            self.calls.make_contiguous().sort_by_key(|c| c.wall);
        }
        for until in [&mut self.blocked_until, &mut self.spent_until]
            .into_iter()
            .flatten()
        {
            let end = end_seen_from(*until, now);
            if end > later(until.wall, DRIFT) {
                until.wall = end;
                moved = true;
            }
        }
        moved
    }

    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Limited calls of every kind that still count at `now`.
    pub fn used(&self, now: impl Into<Moment>) -> u32 {
        let now = now.into();
        let n = self.calls.iter().filter(|c| self.counts(c, now)).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// What is left of the shared order budget (polls and deliveries) at `now`.
    pub fn remaining(&self, now: impl Into<Moment>) -> u32 {
        let now = now.into();
        if self.blocked_at(now).is_some() || self.spent_at(now).is_some() {
            return 0;
        }
        self.budget.orders_limit.saturating_sub(self.used(now))
    }

    /// The earliest moment at or after `now` when a call of `kind` may be made.
    pub fn next_free_slot(&self, kind: CallKind, now: impl Into<Moment>) -> SystemTime {
        let now = now.into();
        match self.check(kind, now) {
            Ok(()) => now.wall,
            Err(wait) => wait.until,
        }
    }

    pub fn can_spend(&self, kind: CallKind, now: impl Into<Moment>) -> bool {
        self.check(kind, now.into()).is_ok()
    }

    /// Records a call of `kind` at `now` if the budget allows it, else says until when to
    /// wait. Check and record happen together, so two parts of the app cannot both take
    /// the last slot.
    pub fn try_spend(&mut self, kind: CallKind, now: impl Into<Moment>) -> Result<(), NotYet> {
        let now = now.into();
        self.check(kind, now)?;
        self.rebase(now);
        self.clamp_future(now.wall);
        self.record(kind, now);
        Ok(())
    }

    /// Records a call that was made without asking first (it counts all the same).
    pub fn record(&mut self, kind: CallKind, at: impl Into<Moment>) {
        let at = at.into();
        let position = self.calls.partition_point(|c| c.wall <= at.wall);
        self.calls.insert(
            position,
            Call {
                wall: at.wall,
                mono: at.mono,
                kind,
            },
        );
        // Whatever expired before `at` has expired now too, even if `at` is a little late.
        let window = self.budget.window;
        self.calls.retain(|c| expiry(window, c, at) > at.wall);
        if self.blocked_at(at).is_none() {
            self.blocked_until = None;
        }
        if self.spent_at(at).is_none() {
            self.spent_until = None;
        }
        self.save();
    }

    /// The server answered 429: no limited call of any kind until `until`. Give `until` as
    /// a [`Moment`] (now, later by the wait) so a wall clock that jumps cannot cut it short.
    pub fn note_rate_limited(&mut self, until: impl Into<Moment>) {
        let until = until.into();
        // Each clock keeps the later of the two ends: whichever says "still blocked" wins.
        let merged = match self.blocked_until {
            None => until,
            Some(b) => Moment {
                wall: b.wall.max(until.wall),
                mono: b.mono.max(until.mono),
            },
        };
        if self.blocked_until != Some(merged) {
            self.blocked_until = Some(merged);
            self.save();
        }
    }

    /// The end of a 429 wait still running at `now`.
    /// No 429 is obeyed for longer than [`LONGEST_RATE_LIMIT_WAIT`]; a longer wait can only
    /// come from a wall clock that was set back (or an edited file), and is cut to that.
    pub fn blocked_at(&self, now: impl Into<Moment>) -> Option<SystemTime> {
        let now = now.into();
        let end = end_seen_from(self.blocked_until?, now);
        (end > now.wall).then(|| end.min(later(now.wall, LONGEST_RATE_LIMIT_WAIT)))
    }

    /// The end of an hour taken as used up because the count was lost, if it still runs
    /// at `now`. Never more than a window from now, whatever the wall clock did.
    pub fn spent_at(&self, now: impl Into<Moment>) -> Option<SystemTime> {
        let now = now.into();
        let end = end_seen_from(self.spent_until?, now);
        (end > now.wall).then(|| end.min(later(now.wall, self.budget.window)))
    }

    /// The calls that still count, oldest first (for display and tests).
    pub fn calls(&self) -> impl Iterator<Item = (SystemTime, CallKind)> + '_ {
        self.calls.iter().map(|c| (c.wall, c.kind))
    }

    /// A problem loading or saving the ledger since the last call, for the UI: first that
    /// the count was lost (and until when the app therefore waits), then any failed save.
    pub fn take_problem(&mut self, now: impl Into<Moment>) -> Option<Problem> {
        let now = now.into();
        if let Some(detail) = self.lost.take() {
            let wait = self
                .spent_at(now)
                .and_then(|end| end.duration_since(now.wall).ok())
                .unwrap_or_default();
            return Some(Problem {
                code: "storage".to_owned(),
                message: format!(
                    "Atelier Desk's count of its recent requests to Atelier was damaged. To stay within Atelier's hourly limit it takes this hour as used up: it looks for orders and sends deliveries again by itself {}. The damaged file was kept.",
                    in_about(wait)
                ),
                detail: Some(detail),
                retry_after_secs: Some(wait.as_secs()),
            });
        }
        self.save_problem.take().map(|detail| Problem {
            code: "storage".to_owned(),
            message: "Atelier Desk couldn't save its count of requests to Atelier.".to_owned(),
            detail: Some(detail),
            retry_after_secs: None,
        })
    }

    fn counts(&self, call: &Call, now: Moment) -> bool {
        expiry(self.budget.window, call, now) > now.wall
    }

    fn check(&self, kind: CallKind, now: Moment) -> Result<(), NotYet> {
        if let Some(until) = self.blocked_at(now) {
            return Err(NotYet {
                until,
                reason: WaitReason::RateLimited,
            });
        }
        if let Some(until) = self.spent_at(now) {
            return Err(NotYet {
                until,
                reason: WaitReason::Budget,
            });
        }
        let cap = usize::try_from(self.budget.cap(kind)).unwrap_or(usize::MAX);
        let mut ends: Vec<SystemTime> = self
            .calls
            .iter()
            .map(|c| expiry(self.budget.window, c, now))
            .filter(|end| *end > now.wall)
            .collect();
        if ends.len() < cap {
            return Ok(());
        }
        ends.sort();
        // The call that must expire for the count to drop below the cap; with a cap of 0
        // nothing ever frees a slot, and a window from now is the honest answer.
        let until = match ends.len().checked_sub(cap).and_then(|k| ends.get(k)) {
            Some(end) if cap > 0 => *end,
            _ => later(now.wall, self.budget.window),
        };
        Err(NotYet {
            until: until.max(now.wall),
            reason: WaitReason::Budget,
        })
    }

    fn clamp_future(&mut self, now: SystemTime) {
        for call in self.calls.iter_mut() {
            if call.wall > now {
                call.wall = now;
            }
        }
    }

    fn save(&mut self) {
        let Some(path) = &self.path else { return };
        let saved = Saved {
            version: VERSION,
            calls: self
                .calls
                .iter()
                .map(|c| SavedCall {
                    at_ms: to_ms(c.wall),
                    kind: c.kind,
                })
                .collect(),
            blocked_until_ms: self.blocked_until.map(|b| to_ms(b.wall)),
            spent_until_ms: self.spent_until.map(|s| to_ms(s.wall)),
        };
        if let Err(e) = store::save(path, &saved) {
            self.save_problem = Some(e.to_string());
        }
    }
}

/// When `call` stops counting, as a wall time seen from `now`: a window after it was made
/// by the wall clock or, for a call of this run, by the monotonic clock, whichever is
/// later. A call "in the future" by the wall clock (it was set back) is taken as made now:
/// it keeps counting for a full window, never longer.
fn expiry(window: Duration, call: &Call, now: Moment) -> SystemTime {
    let by_wall = later(call.wall.min(now.wall), window);
    let by_mono = match (call.mono, now.mono) {
        (Some(made), Some(mono)) => window
            .checked_sub(mono.saturating_duration_since(made))
            .map(|left| later(now.wall, left)),
        _ => None,
    };
    by_mono.map_or(by_wall, |end| end.max(by_wall))
}

/// The wall time at which a wait ending at `until` ends, seen from `now`: the later of
/// what the wall clock and (when both moments have it) the monotonic clock say.
fn end_seen_from(until: Moment, now: Moment) -> SystemTime {
    let by_mono = match (until.mono, now.mono) {
        (Some(end), Some(mono)) => later(now.wall, end.saturating_duration_since(mono)),
        _ => now.wall,
    };
    until.wall.max(by_mono)
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

    pub fn try_spend(&self, kind: CallKind, now: impl Into<Moment>) -> Result<(), NotYet> {
        self.lock().try_spend(kind, now)
    }

    pub fn record(&self, kind: CallKind, at: impl Into<Moment>) {
        self.lock().record(kind, at);
    }

    pub fn note_rate_limited(&self, until: impl Into<Moment>) {
        self.lock().note_rate_limited(until);
    }

    pub fn remaining(&self, now: impl Into<Moment>) -> u32 {
        self.lock().remaining(now)
    }

    pub fn next_free_slot(&self, kind: CallKind, now: impl Into<Moment>) -> SystemTime {
        self.lock().next_free_slot(kind, now)
    }

    pub fn take_problem(&self, now: impl Into<Moment>) -> Option<Problem> {
        self.lock().take_problem(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

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

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "atelier-ledger-{name}-{}-{}",
            std::process::id(),
            to_ms(SystemTime::now())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("ledger.json")
    }

    fn kept_aside(path: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().contains(".damaged-"))
            .collect()
    }

    #[test]
    fn a_damaged_ledger_counts_as_a_spent_hour_not_a_free_one() {
        for (name, text) in [
            ("garbage", "{\"version\": 1, \"calls\": [{\"at_ms\": "),
            ("unknown-version", "{\"version\": 99, \"calls\": []}"),
        ] {
            let path = scratch(name);
            std::fs::write(&path, text).unwrap();
            let before = SystemTime::now();
            let mut ledger = CallLedger::open(&path, Budget::default()).unwrap();
            let problem = ledger
                .take_problem(SystemTime::now())
                .expect("the lost count is reported");
            assert_eq!(problem.code, "storage");
            assert!(
                problem.message.contains("in about 61 minutes"),
                "{name}: {}",
                problem.message
            );
            assert!(problem.detail.unwrap().contains(".damaged-"), "{name}");
            assert!(
                ledger.take_problem(SystemTime::now()).is_none(),
                "told once"
            );
            for kind in [CallKind::OrdersPoll, CallKind::Deliver, CallKind::Register] {
                assert!(
                    !ledger.can_spend(kind, SystemTime::now()),
                    "{name}: {kind:?}"
                );
            }
            assert_eq!(ledger.remaining(SystemTime::now()), 0, "{name}");
            let free = ledger.next_free_slot(CallKind::OrdersPoll, SystemTime::now());
            assert!(
                free >= before + Budget::default().window,
                "{name}: free again after {:?}",
                free.duration_since(before)
            );
            assert_eq!(
                kept_aside(&path).len(),
                1,
                "{name}: the file is kept for a person"
            );
            // A restart in the middle of that hour does not make it free either.
            drop(ledger);
            let reopened = CallLedger::open(&path, Budget::default()).unwrap();
            assert!(
                !reopened.can_spend(CallKind::Deliver, SystemTime::now()),
                "{name}"
            );
            let _ = std::fs::remove_dir_all(path.parent().unwrap());
        }
    }

    #[test]
    fn a_wall_clock_jumping_forward_does_not_forget_calls_made_in_this_run() {
        let start = Moment {
            wall: t(0),
            mono: Some(Instant::now()),
        };
        let mut ledger = CallLedger::in_memory(hour_budget());
        for i in 0..24 {
            let at = start.later(Duration::from_secs(i * 10));
            ledger.try_spend(CallKind::OrdersPoll, at).unwrap();
        }
        // Five minutes on, the wall clock is suddenly two hours ahead.
        let mut now = start.later(Duration::from_secs(300));
        now.wall = t(2 * 3600 + 300);
        assert_eq!(ledger.used(now), 24);
        assert!(!ledger.can_spend(CallKind::OrdersPoll, now));
        assert!(ledger.can_spend(CallKind::Deliver, now));
        assert_eq!(
            ledger.next_free_slot(CallKind::OrdersPoll, now),
            now.wall + Duration::from_secs(3600 - 300),
            "free when the first poll is an hour old by the steady clock"
        );
        // A 429's wait is not cut short by the jump either.
        ledger.note_rate_limited(start.later(Duration::from_secs(900)));
        assert_eq!(
            ledger.blocked_at(now),
            Some(now.wall + Duration::from_secs(600))
        );
        // An hour after the first call, by the steady clock, it no longer counts.
        let mut later_on = start.later(Duration::from_secs(3600));
        later_on.wall = t(2 * 3600 + 3600);
        assert_eq!(ledger.used(later_on), 23);
    }

    #[test]
    fn calls_read_back_from_the_file_are_judged_by_wall_time_alone() {
        let path = scratch("restart-jump");
        let start = Moment {
            wall: t(0),
            mono: Some(Instant::now()),
        };
        let mut ledger = CallLedger::open(&path, hour_budget()).unwrap();
        ledger.try_spend(CallKind::OrdersPoll, start).unwrap();
        drop(ledger);
        let reopened = CallLedger::open(&path, hour_budget()).unwrap();
        let mut now = start.later(Duration::from_secs(60));
        assert_eq!(reopened.used(now), 1);
        now.wall = t(2 * 3600);
        assert_eq!(reopened.used(now), 0, "only the wall time was kept");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
