//! Time as the watcher sees it: wall-clock time, because the ledger and the seen-orders
//! file outlive the process and must compare with times from before a restart; and, for
//! the rate ledger, the monotonic clock as well, because the wall clock can jump (set by
//! hand, corrected by NTP, a laptop waking up) while the server's hour runs on regardless.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

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

/// One moment read on both clocks. `mono` is `None` where only the wall time is known: for
/// anything read back from a file, and for clocks that cannot say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub wall: SystemTime,
    pub mono: Option<Instant>,
}

impl Moment {
    /// Now, on the computer's clocks.
    pub fn now() -> Moment {
        Moment {
            wall: SystemTime::now(),
            mono: Some(Instant::now()),
        }
    }

    /// A moment known only by its wall time.
    pub fn wall_only(wall: SystemTime) -> Moment {
        Moment { wall, mono: None }
    }

    /// `d` after this moment, on both clocks.
    pub fn later(self, d: Duration) -> Moment {
        Moment {
            wall: later(self.wall, d),
            mono: self.mono.and_then(|m| m.checked_add(d)),
        }
    }

    /// The moment whose wall time is `wall`, both clocks moved by the same amount. The
    /// watcher plans in wall times; this lets it ask the ledger about a planned moment.
    pub fn at(self, wall: SystemTime) -> Moment {
        let mono = match wall.duration_since(self.wall) {
            Ok(ahead) => self.mono.and_then(|m| m.checked_add(ahead)),
            Err(behind) => self.mono.and_then(|m| m.checked_sub(behind.duration())),
        };
        Moment { wall, mono }
    }
}

impl From<SystemTime> for Moment {
    fn from(wall: SystemTime) -> Moment {
        Moment::wall_only(wall)
    }
}

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> SystemTime;

    /// Now on both clocks. A clock that only knows wall time (a test's hand-set clock)
    /// leaves the monotonic reading out, and the ledger then judges by wall time alone.
    fn moment(&self) -> Moment {
        Moment::wall_only(self.now())
    }

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

    fn moment(&self) -> Moment {
        Moment::now()
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

    /// tokio's instant follows a paused test clock, so both readings stay in step.
    fn moment(&self) -> Moment {
        let mono = tokio::time::Instant::now();
        Moment {
            wall: later(self.wall, mono.saturating_duration_since(self.origin)),
            mono: Some(mono.into_std()),
        }
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
