//! Time as the watcher sees it: wall-clock time, because the ledger and the seen-orders
//! file outlive the process and must compare with times from before a restart.

use std::future::Future;
use std::time::{Duration, SystemTime};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> SystemTime;
    /// Returns at `deadline` or soon after (at once if it has passed).
    fn sleep_until(&self, deadline: SystemTime) -> impl Future<Output = ()> + Send;
}

/// The computer's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

/// A sleeping timer does not count the time a laptop spends suspended. Waking up now and
/// then to look at the wall clock means a check that fell due during suspension happens
/// within this long after wake-up, not a whole interval late.
const NAP: Duration = Duration::from_secs(15);

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    async fn sleep_until(&self, deadline: SystemTime) {
        while let Ok(left) = deadline.duration_since(SystemTime::now()) {
            if left.is_zero() {
                break;
            }
            tokio::time::sleep(left.min(NAP)).await;
        }
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
}

impl Clock for TokioClock {
    fn now(&self) -> SystemTime {
        self.wall + self.origin.elapsed()
    }

    async fn sleep_until(&self, deadline: SystemTime) {
        let offset = deadline.duration_since(self.wall).unwrap_or_default();
        tokio::time::sleep_until(self.origin + offset).await;
    }
}
