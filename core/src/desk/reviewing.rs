//! The desk looks over the kept order list every little while, without the page, and tells
//! the news `reminders.rs` finds: deadlines near or passed, orders completed, disputed or
//! cancelled. The statuses come to the list for free: the watcher's news, the listings,
//! and every few minutes a look at the orders that may still change through the public
//! per-order call, which passes no rate limiter. Only the copy that watches tells.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Weak;
use std::time::{Duration, Instant, SystemTime};

use super::reminders::{Reminders, REMINDERS_FILE};
use super::{Desk, Inner, News};
use crate::watcher::WatchEvent;

/// How often the kept list is judged (in memory: nothing is asked of Atelier).
const REVIEW_EVERY: Duration = Duration::from_secs(10);

/// How often the orders that may still change are looked up when no screen asks: a client
/// approving a delivery is told within this, at one free call per such order (at most 60).
const FOLLOW_ALONE_EVERY: Duration = Duration::from_secs(5 * 60);

/// How often the services' turnarounds are read again (free), for the deadlines.
const TURNAROUNDS_EVERY: Duration = Duration::from_secs(10 * 60);

/// Each service's turnaround in hours, as last read.
#[derive(Debug, Default)]
pub(super) struct Turnarounds {
    read_at: Option<Instant>,
    hours: HashMap<String, u64>,
}

/// Runs [`Desk::review_orders`] every little while, for as long as the desk exists.
pub(super) fn review_every_little_while(desk: Weak<Inner>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(REVIEW_EVERY).await;
            let Some(inner) = desk.upgrade() else { break };
            Desk(inner).review_orders().await;
        }
    });
}

impl Desk {
    /// Judges the kept order list now and tells what is new (one `orders_changed` news
    /// item for all of it). Nothing is told by a copy that does not watch.
    pub async fn review_orders(&self) {
        if !self.0.lock.is_held() {
            return;
        }
        let kept = match self.0.inbox.get() {
            Some(kept) => {
                self.follow_alone().await;
                kept
            }
            // Nothing kept yet (the Orders screen never opened for this agent here): one
            // listing, as that screen's first opening would spend, so that a creator who
            // only ever runs in the background still hears of deadlines. Not at once: a
            // creator opening the app usually opens that screen, and then it is free.
            None if self.list_alone_due() => match self.orders(false).await {
                Ok(listed) => listed,
                Err(_) => return,
            },
            None => return,
        };
        let turnarounds = self.turnarounds().await;
        let (changes, error) =
            self.reminders()
                .review(&kept.orders, &turnarounds, SystemTime::now());
        if let Some(e) = error {
            eprintln!("Atelier Desk: could not note which order news was told: {e}");
        }
        if changes.is_empty() {
            return;
        }
        let status = self.status().await;
        let event = Some(WatchEvent::OrdersChanged { changes });
        let _ = self.0.news.send(News { event, status });
    }

    pub(super) fn reopen_reminders(&self, agent_dir: Option<&Path>) {
        let (reminders, damaged) = match agent_dir {
            Some(dir) => Reminders::open(&dir.join(REMINDERS_FILE)),
            None => (Reminders::in_memory(), None),
        };
        if let Some(e) = damaged {
            eprintln!("Atelier Desk: the order reminders were set aside: {e}");
        }
        *self.reminders() = reminders;
        self.forget_turnarounds();
        *lock(&self.0.followed_alone) = None;
        *lock(&self.0.listed_alone) = Instant::now();
    }

    /// A service was created or changed: read the turnarounds again at the next review.
    pub(super) fn forget_turnarounds(&self) {
        lock(&self.0.turnarounds).read_at = None;
    }

    fn reminders(&self) -> std::sync::MutexGuard<'_, Reminders> {
        lock(&self.0.reminders)
    }

    /// Starts the free look-up of the known orders that may still change, every few minutes.
    async fn follow_alone(&self) {
        if self.follow_alone_due() {
            self.follow_known().await;
        }
    }

    /// Whether it is time for the listing without the page asking (never kept a list): five
    /// minutes after the start or sign-in, then every five minutes while it fails.
    fn list_alone_due(&self) -> bool {
        let mut last = lock(&self.0.listed_alone);
        if last.elapsed() < FOLLOW_ALONE_EVERY {
            return false;
        }
        *last = Instant::now();
        true
    }

    /// Whether it is time to look at the orders without the page asking; if so, the time
    /// is taken.
    fn follow_alone_due(&self) -> bool {
        let mut last = lock(&self.0.followed_alone);
        if last.is_some_and(|at| at.elapsed() < FOLLOW_ALONE_EVERY) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }

    /// The services' turnarounds, read again (free) when old; the last known ones when the
    /// read fails (a service no longer listed gets the server's default at the deadline).
    async fn turnarounds(&self) -> HashMap<String, u64> {
        {
            let kept = lock(&self.0.turnarounds);
            if kept
                .read_at
                .is_some_and(|at| at.elapsed() < TURNAROUNDS_EVERY)
            {
                return kept.hours.clone();
            }
        }
        let read = self.services().await;
        let mut kept = lock(&self.0.turnarounds);
        kept.read_at = Some(Instant::now());
        if let Ok(services) = read {
            kept.hours = services
                .into_iter()
                .filter_map(|s| Some((s.id, u64::from(s.turnaround_hours?))))
                .collect();
        }
        kept.hours.clone()
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
