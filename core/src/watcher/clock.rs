//! Time as the watcher sees it: wall-clock time, because the ledger and the seen-orders
//! file outlive the process and must compare with times from before a restart.

use std::future::Future;
use std::time::{Duration, SystemTime};

/// No time the watcher works with lies beyond this (about the year 5138). Waits come from
/// servers and files; a wrong one must make the watcher wait long, never make it panic
/// (`SystemTime + Duration` overflows, and a time past the year 9999 cannot be shown).
const FAR_FUTURE_SECS: u64 = 100_000_000_000;

pub(super) fn far_future() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(FAR_FUTURE_SECS)
}

/// `t + d`, saturating at [`far_future`]: every addition to a time in the watcher goes
/// through here.
pub(super) fn later(t: SystemTime, d: Duration) -> SystemTime {
    let far = far_future();
    t.checked_add(d).map_or(far, |at| at.min(far))
}

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> SystemTime;

    /// Waits `d` on a steady timer. The watcher never sleeps for long at a time and reads
    /// [`Clock::now`] again after each sleep, so a wall clock that jumps (set back, or
    /// forward after a laptop wakes up) is noticed within moments.
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(d)
    }
}

/// The computer's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Wall-clock time driven by tokio's timer, for simulations: under a runtime whose clock is
/// paused (`#[tokio::test(start_paused = true)]`) a simulated day passes in moments.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    wall: SystemTime,
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock that reads `wall` now. Must be created inside a tokio runtime.
    pub fn starting_at(wall: SystemTime) -> TokioClock {
        TokioClock {
            wall,
            origin: tokio::time::Instant::now(),
        }
    }

    /// Waits until this clock reads `deadline` (at once if it already does).
    pub async fn sleep_until(&self, deadline: SystemTime) {
        let offset = deadline.duration_since(self.wall).unwrap_or_default();
        match self.origin.checked_add(offset) {
            Some(at) => tokio::time::sleep_until(at).await,
            // tokio saturates a sleep too long to name as an instant.
            None => tokio::time::sleep(offset).await,
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> SystemTime {
        later(self.wall, self.origin.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_to_a_time_saturates_far_away_instead_of_overflowing() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_460_800);
        assert_eq!(
            later(now, Duration::from_secs(60)),
            now + Duration::from_secs(60)
        );
        assert_eq!(later(now, Duration::MAX), far_future());
        assert_eq!(later(now, Duration::from_secs(u64::MAX)), far_future());
        assert_eq!(later(far_future(), Duration::from_secs(1)), far_future());
        assert!(later(now, Duration::ZERO) == now);
    }
}
