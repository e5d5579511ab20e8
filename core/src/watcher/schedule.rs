//! When to look for orders next: pure arithmetic over the last outcome, the policy and the
//! ledger, so it can be tested without a clock or a network.

use std::time::{Duration, SystemTime};

use rand::Rng;
use serde::Serialize;

use super::clock::{later, Moment};
use super::ledger::{CallKind, CallLedger};
use crate::error::LONGEST_RATE_LIMIT_WAIT;
use crate::models::Timestamp;

/// How often and how patiently to poll.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Between successful polls. 150 s is 24 polls an hour: 30 minus the delivery reserve.
    pub interval: Duration,
    /// Each interval is stretched or shrunk by up to this fraction, so many apps started
    /// at the same moment do not poll in step.
    pub jitter: f64,
    /// The first retry after a network or server failure waits between half this and this;
    /// each further failure doubles it.
    pub backoff_base: Duration,
    /// No failure makes the watcher wait longer than this (429s excepted: the server's
    /// `Retry-After` is obeyed up to [`LONGEST_RATE_LIMIT_WAIT`]).
    pub backoff_cap: Duration,
    /// While the network seems down, `GET /agents/me` (not rate limited) is tried this
    /// often, so polling resumes soon after the network is back.
    pub probe_interval: Duration,
    /// The least time between two polls, so a burst of "Check now" clicks costs one call.
    pub min_gap: Duration,
    /// How long to stay away after a 429 that said neither `Retry-After` nor the reset time.
    pub unknown_rate_limit_wait: Duration,
    /// While the free signals work, the listing is only a safety net for what they cannot
    /// show, this often (jittered like `interval`, and never rarer than 15 minutes).
    pub safety_net: Duration,
    /// How often each service's `total_orders` is read (free) while orders come in...
    pub signal_every: Duration,
    /// ...and once nothing has changed for `quiet_after`.
    pub signal_every_quiet: Duration,
    pub quiet_after: Duration,
    /// The most free calls (order counts, order pages, probes while signals work) in any
    /// rolling minute: not limited by the server, but not to be hammered either.
    pub free_calls_per_minute: u32,
    /// A server that cannot give the signals is asked again this often.
    pub signals_retry: Duration,
    /// An order created but never paid is followed this long, then left to the safety net.
    pub follow_for: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            interval: Duration::from_secs(150),
            jitter: 0.10,
            backoff_base: Duration::from_secs(60),
            backoff_cap: Duration::from_secs(15 * 60),
            probe_interval: Duration::from_secs(20),
            min_gap: Duration::from_secs(10),
            unknown_rate_limit_wait: Duration::from_secs(15 * 60),
            // 810 s ± 10 % is at most 891 s: under 15 minutes, about 4.4 listings an hour.
            safety_net: Duration::from_secs(810),
            signal_every: Duration::from_secs(15),
            // 30 s, not longer: a quiet shop is the usual case, and its next order should
            // still show up within seconds.
            signal_every_quiet: Duration::from_secs(30),
            quiet_after: Duration::from_secs(30 * 60),
            free_calls_per_minute: 4,
            signals_retry: Duration::from_secs(3600),
            follow_for: Duration::from_secs(48 * 3600),
        }
    }
}

/// What the next check is waiting for, for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Waiting {
    /// Due now (start, Check now, Resume, the network came back).
    Now,
    /// The regular interval.
    Interval,
    /// Backing off after network or server failures.
    Backoff,
    /// Our own count says this hour's polls are used up.
    Budget,
    /// The server said 429.
    RateLimit,
    /// Paused by the creator.
    Paused,
    /// Not running.
    Stopped,
}

/// The regular interval, jittered by up to ±`policy.jitter`.
pub fn jittered_interval<R: Rng + ?Sized>(policy: &Policy, rng: &mut R) -> Duration {
    jittered(policy, policy.interval, rng)
}

/// `base`, jittered by up to ±`policy.jitter`.
pub fn jittered<R: Rng + ?Sized>(policy: &Policy, base: Duration, rng: &mut R) -> Duration {
    let spread = policy.jitter.clamp(0.0, 0.9);
    let factor = 1.0 + spread * (2.0 * rng.random::<f64>() - 1.0);
    Duration::try_from_secs_f64(base.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

/// The wait after the `failures`-th failure in a row (1 for the first): "equal jitter",
/// half fixed and half random, so it is never shorter than half the exponential step and
/// never longer than the cap.
pub fn backoff<R: Rng + ?Sized>(policy: &Policy, failures: u32, rng: &mut R) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    let step = policy
        .backoff_base
        .saturating_mul(1u32 << doublings)
        .min(policy.backoff_cap);
    let half = step / 2;
    half + half.mul_f64(rng.random::<f64>())
}

/// Lower and upper bounds of [`backoff`], whatever the number of failures.
pub fn backoff_bounds(policy: &Policy) -> (Duration, Duration) {
    (
        (policy.backoff_base / 2).min(policy.backoff_cap / 2),
        policy.backoff_cap,
    )
}

/// How long a 429 asks us to stay away: exactly `Retry-After` when given, else until the
/// reset time the server named, else the policy's fallback; never more than
/// [`LONGEST_RATE_LIMIT_WAIT`], whoever built the error.
pub fn rate_limit_wait(
    policy: &Policy,
    retry_after_secs: Option<u64>,
    reset_at: Option<Timestamp>,
    now: SystemTime,
) -> Duration {
    if let Some(secs) = retry_after_secs {
        return Duration::from_secs(secs).min(LONGEST_RATE_LIMIT_WAIT);
    }
    let until_reset = reset_at
        .and_then(|r| u64::try_from(r.unix()).ok())
        .map(|unix| later(SystemTime::UNIX_EPOCH, Duration::from_secs(unix)))
        .and_then(|reset| reset.duration_since(now).ok());
    match until_reset {
        // The reset time has one-second resolution: a second more lands after it.
        Some(d) if d <= Duration::from_secs(3600) => d + Duration::from_secs(1),
        _ => policy.unknown_rate_limit_wait,
    }
}

/// When the next poll can really happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub at: SystemTime,
    pub waiting: Waiting,
}

/// Moves the poll the watcher wants (`wanted`, for reason `why`) later if the minimum gap
/// since the last poll, a 429 or the budget say so. Never earlier.
pub fn plan_poll(
    policy: &Policy,
    wanted: SystemTime,
    why: Waiting,
    last_poll: Option<SystemTime>,
    ledger: &CallLedger,
    now: impl Into<Moment>,
) -> Plan {
    let now = now.into();
    let mut plan = Plan {
        at: wanted.max(now.wall),
        waiting: why,
    };
    if let Some(last) = last_poll {
        plan.at = plan.at.max(later(last, policy.min_gap));
    }
    // The ledger answers for a moment; asking at the planned moment accounts for calls
    // that will have expired by then.
    let free = ledger.next_free_slot(CallKind::OrdersPoll, now.at(plan.at));
    if free > plan.at {
        plan.at = free;
        plan.waiting = match ledger.blocked_at(now) {
            Some(_) => Waiting::RateLimit,
            None => Waiting::Budget,
        };
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watcher::ledger::Budget;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    #[test]
    fn the_interval_stays_within_ten_percent_and_averages_out() {
        let policy = Policy::default();
        let mut rng = StdRng::seed_from_u64(7);
        let waits: Vec<Duration> = (0..2000)
            .map(|_| jittered_interval(&policy, &mut rng))
            .collect();
        assert!(waits
            .iter()
            .all(|w| *w >= Duration::from_secs(135) && *w <= Duration::from_secs(165)));
        let mean = waits.iter().sum::<Duration>() / 2000;
        assert!(
            mean > Duration::from_secs(147) && mean < Duration::from_secs(153),
            "{mean:?}"
        );
    }

    #[test]
    fn backoff_doubles_from_the_base_and_never_passes_the_cap() {
        let policy = Policy::default();
        let (low, high) = backoff_bounds(&policy);
        assert_eq!(
            (low, high),
            (Duration::from_secs(30), Duration::from_secs(900))
        );
        let mut rng = StdRng::seed_from_u64(11);
        for failures in 1..=40 {
            for _ in 0..50 {
                let wait = backoff(&policy, failures, &mut rng);
                assert!(wait >= low && wait <= high, "{failures}: {wait:?}");
            }
        }
        let first: Vec<Duration> = (0..50).map(|_| backoff(&policy, 1, &mut rng)).collect();
        assert!(first.iter().all(|w| *w <= Duration::from_secs(60)));
        let fourth: Vec<Duration> = (0..50).map(|_| backoff(&policy, 4, &mut rng)).collect();
        assert!(fourth
            .iter()
            .all(|w| *w >= Duration::from_secs(240) && *w <= Duration::from_secs(480)));
        assert!((0..50).any(|_| backoff(&policy, 30, &mut rng) > Duration::from_secs(800)));
    }

    #[test]
    fn a_429_is_waited_out_exactly() {
        let policy = Policy::default();
        assert_eq!(
            rate_limit_wait(&policy, Some(1234), None, t(0)),
            Duration::from_secs(1234)
        );
        let reset = Timestamp::from_unix(1_700_000_600);
        assert_eq!(
            rate_limit_wait(&policy, None, reset, t(0)),
            Duration::from_secs(601)
        );
        assert_eq!(
            rate_limit_wait(&policy, None, None, t(0)),
            policy.unknown_rate_limit_wait
        );
    }

    #[test]
    fn a_429_never_keeps_the_watcher_away_for_more_than_two_hours() {
        let policy = Policy::default();
        assert_eq!(
            rate_limit_wait(&policy, Some(u64::MAX), None, t(0)),
            Duration::from_secs(7200)
        );
        let far_reset = Timestamp::from_unix(99_999_999_999);
        assert_eq!(
            rate_limit_wait(&policy, None, far_reset, t(0)),
            policy.unknown_rate_limit_wait
        );
    }

    #[test]
    fn a_poll_is_never_planned_before_the_budget_has_room() {
        let policy = Policy::default();
        let budget = Budget {
            window: Duration::from_secs(3600),
            ..Budget::default()
        };
        let mut ledger = CallLedger::in_memory(budget);
        for i in 0..24 {
            ledger.record(CallKind::OrdersPoll, t(i * 100));
        }
        let plan = plan_poll(
            &policy,
            t(2400),
            Waiting::Now,
            Some(t(2300)),
            &ledger,
            t(2400),
        );
        assert_eq!(
            plan,
            Plan {
                at: t(3600),
                waiting: Waiting::Budget
            }
        );
        // Room in the budget: only the minimum gap delays a Check now.
        let plan = plan_poll(
            &policy,
            t(4000),
            Waiting::Now,
            Some(t(3995)),
            &ledger,
            t(4000),
        );
        assert_eq!(plan.at, t(4005));
        ledger.note_rate_limited(t(5000));
        let plan = plan_poll(&policy, t(4000), Waiting::Now, None, &ledger, t(4000));
        assert_eq!(
            plan,
            Plan {
                at: t(5000),
                waiting: Waiting::RateLimit
            }
        );
    }
}
