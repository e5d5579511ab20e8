//! The creator's order list as last seen, kept current with the watcher's news so opening
//! the Orders screen does not spend the hour's budget.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::models::{Order, Timestamp};

/// Every order of the signed-in agent, as last seen.
#[derive(Debug, Clone, Serialize)]
pub struct Inbox {
    pub fetched_at: Timestamp,
    pub orders: Vec<Order>,
}

/// How long a full list is good for before the inbox asks the server again.
const FRESH_FOR: Duration = Duration::from_secs(10 * 60);

#[derive(Default)]
pub(super) struct KeptInbox {
    kept: Mutex<Option<Inbox>>,
    /// How many lists were fetched so far, to tell a waiting caller one just arrived.
    fetches: AtomicU64,
    /// One listing at a time: two screens asking together share one request.
    pub(super) fetching: tokio::sync::Mutex<()>,
}

impl KeptInbox {
    pub(super) fn get(&self) -> Option<Inbox> {
        self.lock().clone()
    }

    /// The kept list if it is recent enough to show without asking again.
    pub(super) fn fresh(&self, now: SystemTime) -> Option<Inbox> {
        self.get().filter(|inbox| {
            let fetched = SystemTime::from(inbox.fetched_at.as_offset());
            now.duration_since(fetched).is_ok_and(|age| age < FRESH_FOR)
        })
    }

    pub(super) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    pub(super) fn replace(&self, orders: Vec<Order>, now: SystemTime) -> Inbox {
        let inbox = Inbox {
            fetched_at: Timestamp::from(time::OffsetDateTime::from(now)),
            orders,
        };
        *self.lock() = Some(inbox.clone());
        self.fetches.fetch_add(1, Ordering::SeqCst);
        inbox
    }

    /// Another agent or marketplace: what was kept belongs to the old one.
    pub(super) fn clear(&self) {
        *self.lock() = None;
    }

    /// Folds orders the watcher saw into the kept list, newest first.
    pub(super) fn fold(&self, seen: &[Order]) {
        let mut kept = self.lock();
        let Some(inbox) = kept.as_mut() else { return };
        for order in seen {
            match inbox.orders.iter_mut().find(|o| o.id == order.id) {
                Some(existing) => *existing = order.clone(),
                None => inbox.orders.insert(0, order.clone()),
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Inbox>> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }
}
