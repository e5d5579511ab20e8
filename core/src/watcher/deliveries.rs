//! Deliveries the creator has confirmed and the server has not yet acknowledged, kept on
//! disk so they survive a restart.
//!
//! A delivery is marked *uncertain* and saved before it is sent. If no clear answer comes
//! back (timeout, dropped connection, a crash), the mark stays, and the next attempt first
//! re-reads the order: if it is already delivered, it is not sent again.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::store::{self, from_ms, to_ms, StoreError};
use crate::models::Delivery;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingDelivery {
    pub order_id: String,
    pub delivery: Delivery,
    pub queued_at_ms: u64,
    /// Attempts that failed for reasons worth retrying.
    pub attempts: u32,
    /// An attempt may have reached the server: re-read the order before sending again.
    pub uncertain: bool,
    /// Not before this time (backing off after a failure).
    pub not_before_ms: Option<u64>,
}

impl PendingDelivery {
    pub fn due_at(&self) -> Option<SystemTime> {
        self.not_before_ms.map(from_ms)
    }

    fn is_due(&self, now: SystemTime) -> bool {
        self.due_at().is_none_or(|at| at <= now)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    version: u32,
    pending: Vec<PendingDelivery>,
}

#[derive(Debug)]
pub struct PendingDeliveries {
    path: Option<PathBuf>,
    items: Vec<PendingDelivery>,
}

impl PendingDeliveries {
    pub fn in_memory() -> PendingDeliveries {
        PendingDeliveries {
            path: None,
            items: Vec::new(),
        }
    }

    /// Loads the queue kept at `path`. A damaged file is set aside and reported through the
    /// second value (its deliveries are lost and the creator must confirm them again).
    pub fn open(path: &Path) -> Result<(PendingDeliveries, Option<StoreError>), StoreError> {
        let mut queue = PendingDeliveries::in_memory();
        queue.path = Some(path.to_owned());
        let (saved, damage) = store::load::<Saved>(path)?;
        if let Some(saved) = saved {
            queue.items = saved.pending;
        }
        Ok((queue, damage))
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> &[PendingDelivery] {
        &self.items
    }

    pub fn get(&self, order_id: &str) -> Option<&PendingDelivery> {
        self.items.iter().find(|p| p.order_id == order_id)
    }

    /// Adds a confirmed delivery, due at once. Confirming an order again replaces what is
    /// to be delivered but keeps the uncertain mark: an earlier attempt may still have
    /// gone through, and that must be checked first.
    pub fn queue(
        &mut self,
        order_id: &str,
        delivery: Delivery,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        match self.items.iter_mut().find(|p| p.order_id == order_id) {
            Some(pending) => {
                pending.delivery = delivery;
                pending.not_before_ms = None;
            }
            None => self.items.push(PendingDelivery {
                order_id: order_id.to_owned(),
                delivery,
                queued_at_ms: to_ms(now),
                attempts: 0,
                uncertain: false,
                not_before_ms: None,
            }),
        }
        self.save()
    }

    /// When the next delivery is due, if any is waiting.
    pub fn next_due(&self, now: SystemTime) -> Option<SystemTime> {
        self.items
            .iter()
            .map(|p| p.due_at().unwrap_or(now).max(now))
            .min()
    }

    /// The first delivery due at `now`, oldest first.
    pub fn due(&self, now: SystemTime) -> Option<&PendingDelivery> {
        self.items.iter().find(|p| p.is_due(now))
    }

    /// Marks `order_id` as possibly sent and saves, before sending it.
    pub fn begin(&mut self, order_id: &str) -> Result<(), StoreError> {
        self.update(order_id, |p| p.uncertain = true)
    }

    /// A re-read shows the order still waiting: the earlier attempt did not land.
    pub fn confirm_unsent(&mut self, order_id: &str) -> Result<(), StoreError> {
        self.update(order_id, |p| {
            p.uncertain = false;
            p.not_before_ms = None;
        })
    }

    /// Retry after `not_before`; `uncertain` says whether the attempt may have landed.
    pub fn retry_later(
        &mut self,
        order_id: &str,
        uncertain: bool,
        not_before: SystemTime,
    ) -> Result<(), StoreError> {
        self.update(order_id, |p| {
            p.attempts = p.attempts.saturating_add(1);
            p.uncertain = uncertain;
            p.not_before_ms = Some(to_ms(not_before));
        })
    }

    /// Waits that were only about the network are over (it is back).
    pub fn all_due_now(&mut self) -> Result<(), StoreError> {
        if self.items.iter().all(|p| p.not_before_ms.is_none()) {
            return Ok(());
        }
        for p in &mut self.items {
            p.not_before_ms = None;
        }
        self.save()
    }

    /// Brings every wait ending after `latest` forward to `latest` (the wall clock was
    /// set back since it was planned).
    pub fn rein_in(&mut self, latest: SystemTime) -> Result<(), StoreError> {
        let latest_ms = to_ms(latest);
        let mut changed = false;
        for p in &mut self.items {
            if p.not_before_ms.is_some_and(|ms| ms > latest_ms) {
                p.not_before_ms = Some(latest_ms);
                changed = true;
            }
        }
        if changed {
            self.save()
        } else {
            Ok(())
        }
    }

    /// Done, delivered or given up on: drop it from the queue.
    pub fn remove(&mut self, order_id: &str) -> Result<Option<PendingDelivery>, StoreError> {
        let Some(at) = self.items.iter().position(|p| p.order_id == order_id) else {
            return Ok(None);
        };
        let removed = self.items.remove(at);
        self.save()?;
        Ok(Some(removed))
    }

    fn update(
        &mut self,
        order_id: &str,
        change: impl FnOnce(&mut PendingDelivery),
    ) -> Result<(), StoreError> {
        match self.items.iter_mut().find(|p| p.order_id == order_id) {
            Some(p) => {
                change(p);
                self.save()
            }
            None => Ok(()),
        }
    }

    fn save(&self) -> Result<(), StoreError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        store::save(
            path,
            &Saved {
                version: 1,
                pending: self.items.clone(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn delivery(url: &str) -> Delivery {
        Delivery {
            deliverable_url: url.into(),
            deliverable_media_type: "image".into(),
        }
    }

    #[test]
    fn an_attempt_in_flight_is_remembered_as_uncertain_across_a_restart() {
        let path = std::env::temp_dir().join(format!(
            "atelier-deliveries-{}-{}.json",
            std::process::id(),
            to_ms(SystemTime::now())
        ));
        let (mut queue, _) = PendingDeliveries::open(&path).unwrap();
        queue
            .queue("ord_1", delivery("https://x.io/a.png"), t(0))
            .unwrap();
        queue.begin("ord_1").unwrap();
        drop(queue); // the app dies while the request is out
        let (queue, problem) = PendingDeliveries::open(&path).unwrap();
        assert!(problem.is_none());
        let pending = queue.due(t(1)).unwrap();
        assert_eq!(pending.order_id, "ord_1");
        assert!(pending.uncertain);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_retry_waits_its_turn_unless_the_network_comes_back() {
        let mut queue = PendingDeliveries::in_memory();
        queue
            .queue("ord_1", delivery("https://x.io/a.png"), t(0))
            .unwrap();
        queue.retry_later("ord_1", false, t(100)).unwrap();
        assert!(queue.due(t(50)).is_none());
        assert_eq!(queue.next_due(t(50)), Some(t(100)));
        queue.all_due_now().unwrap();
        assert_eq!(queue.due(t(50)).unwrap().attempts, 1);
    }

    #[test]
    fn confirming_again_keeps_the_uncertain_mark() {
        let mut queue = PendingDeliveries::in_memory();
        queue
            .queue("ord_1", delivery("https://x.io/a.png"), t(0))
            .unwrap();
        queue.begin("ord_1").unwrap();
        queue
            .queue("ord_1", delivery("https://x.io/b.png"), t(5))
            .unwrap();
        let pending = queue.get("ord_1").unwrap();
        assert!(pending.uncertain);
        assert_eq!(pending.delivery.deliverable_url, "https://x.io/b.png");
        assert_eq!(queue.len(), 1);
    }
}
