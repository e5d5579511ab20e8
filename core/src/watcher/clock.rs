//! Time as the watcher sees it: wall-clock time, because the ledger and the seen-orders
//! file outlive the process and must compare with times from before a restart.

use std::future::Future;
use std::time::{Duration, SystemTime};

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
        tokio::time::sleep_until(self.origin + offset).await;
    }
}

impl Clock for TokioClock {
    fn now(&self) -> SystemTime {
        self.wall + self.origin.elapsed()
    }
}
