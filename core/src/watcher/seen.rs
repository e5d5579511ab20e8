//! Which paid orders have been announced already, kept on disk so that no order is
//! announced twice, also across restarts.
//!
//! The ids are saved *before* the announcement goes out (persist, then notify). A crash
//! between the two loses that one notification, never doubles it; the order itself still
//! shows in the inbox, so nothing is lost. If saving fails the order is announced anyway
//! (a missed paid order is worse than a repeated one) and the failure is reported.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::store::{self, from_ms, to_ms, StoreError};
use crate::models::Order;

/// How long an id is kept after its order was last seen waiting on the creator. An order
/// does not return to `paid`/`in_progress` once delivered on this server, so after three
/// months the id can only be clutter; until then it guards against re-announcing.
pub const RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);

/// Seeing an already-known order again only refreshes its time in memory; that is written
/// out with the next save, or at the latest once a day, which is plenty for a 90-day rule.
const REFRESH_SAVE_EVERY: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Entry {
    first_seen_ms: u64,
    last_payable_ms: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    version: u32,
    orders: BTreeMap<String, Entry>,
}

#[derive(Debug)]
pub struct SeenOrders {
    path: Option<PathBuf>,
    orders: BTreeMap<String, Entry>,
    saved_at: Option<SystemTime>,
}

/// The outcome of one check.
#[derive(Debug)]
pub struct Admitted {
    /// Payable orders never announced before, in the order the server listed them.
    pub new: Vec<Order>,
    /// Saving failed: the new orders are remembered in memory only.
    pub store_error: Option<StoreError>,
}

impl SeenOrders {
    pub fn in_memory() -> SeenOrders {
        SeenOrders {
            path: None,
            orders: BTreeMap::new(),
            saved_at: None,
        }
    }

    /// Loads the ids kept at `path`. A damaged file is set aside and reported through the
    /// second value; starting empty then means orders may be announced again, which is the
    /// lesser evil compared to not announcing them.
    pub fn open(path: &Path) -> Result<(SeenOrders, Option<StoreError>), StoreError> {
        let mut seen = SeenOrders::in_memory();
        seen.path = Some(path.to_owned());
        let (saved, damage) = store::load::<Saved>(path)?;
        if let Some(saved) = saved {
            seen.orders = saved.orders;
        }
        Ok((seen, damage))
    }

    pub fn contains(&self, order_id: &str) -> bool {
        self.orders.contains_key(order_id)
    }

    pub fn len(&self) -> usize {
        self.orders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// Takes the orders of one check (any statuses; only payable ones matter), records the
    /// payable ones never seen before and saves, and returns them for announcing.
    pub fn admit(&mut self, orders: &[Order], now: SystemTime) -> Admitted {
        let now_ms = to_ms(now);
        let mut new = Vec::new();
        let mut listed = HashSet::new();
        for order in orders.iter().filter(|o| o.status.is_payable()) {
            if !listed.insert(order.id.as_str()) {
                continue;
            }
            match self.orders.get_mut(&order.id) {
                Some(entry) => entry.last_payable_ms = entry.last_payable_ms.max(now_ms),
                None => {
                    self.orders.insert(
                        order.id.clone(),
                        Entry {
                            first_seen_ms: now_ms,
                            last_payable_ms: now_ms,
                        },
                    );
                    new.push(order.clone());
                }
            }
        }
        let before = self.orders.len();
        let keep_after = to_ms(now.checked_sub(RETENTION).unwrap_or(SystemTime::UNIX_EPOCH));
        self.orders.retain(|_, e| e.last_payable_ms > keep_after);
        let pruned = self.orders.len() != before;
        let stale = self
            .saved_at
            .is_none_or(|at| now.duration_since(at).unwrap_or_default() >= REFRESH_SAVE_EVERY);
        let store_error = if !new.is_empty() || pruned || stale {
            self.save(now).err()
        } else {
            None
        };
        Admitted { new, store_error }
    }

    /// When `order_id` was first announced.
    pub fn first_seen(&self, order_id: &str) -> Option<SystemTime> {
        self.orders.get(order_id).map(|e| from_ms(e.first_seen_ms))
    }

    fn save(&mut self, now: SystemTime) -> Result<(), StoreError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        store::save(
            path,
            &Saved {
                version: 1,
                orders: self.orders.clone(),
            },
        )?;
        self.saved_at = Some(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::OrderStatus;

    fn order(id: &str, status: OrderStatus) -> Order {
        Order {
            id: id.into(),
            service_id: "svc_1".into(),
            service_title: None,
            client_wallet: None,
            brief: "A neon avatar please".into(),
            status,
            quoted_price_usd: None,
            platform_fee_usd: None,
            created_at: None,
            deliverable_url: None,
            deliverable_media_type: None,
            delivered_at: None,
            review_deadline: None,
            completed_at: None,
            payout_tx_hash: None,
        }
    }

    fn t(days: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + days * 24 * 3600)
    }

    #[test]
    fn only_payable_orders_never_seen_before_are_new() {
        let mut seen = SeenOrders::in_memory();
        let first = seen.admit(
            &[
                order("a", OrderStatus::Paid),
                order("b", OrderStatus::Delivered),
                order("c", OrderStatus::InProgress),
                order("a", OrderStatus::Paid),
            ],
            t(0),
        );
        let ids: Vec<_> = first.new.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        let again = seen.admit(
            &[order("a", OrderStatus::Paid), order("d", OrderStatus::Paid)],
            t(0),
        );
        let ids: Vec<_> = again.new.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["d"]);
    }

    #[test]
    fn an_id_is_kept_while_payable_and_for_the_retention_after() {
        let mut seen = SeenOrders::in_memory();
        seen.admit(&[order("old", OrderStatus::Paid)], t(0));
        // Still waiting on the creator 100 days later: still known, not new.
        assert!(seen
            .admit(&[order("old", OrderStatus::Paid)], t(100))
            .new
            .is_empty());
        seen.admit(&[], t(189));
        assert!(seen.contains("old"));
        seen.admit(&[], t(191));
        assert!(!seen.contains("old"));
    }

    #[test]
    fn announced_ids_survive_a_restart() {
        let path = std::env::temp_dir().join(format!(
            "atelier-seen-{}-{}.json",
            std::process::id(),
            to_ms(SystemTime::now())
        ));
        let (mut seen, problem) = SeenOrders::open(&path).unwrap();
        assert!(problem.is_none());
        assert_eq!(
            seen.admit(&[order("a", OrderStatus::Paid)], t(0)).new.len(),
            1
        );
        drop(seen);
        let (mut reopened, _) = SeenOrders::open(&path).unwrap();
        assert!(reopened
            .admit(&[order("a", OrderStatus::Paid)], t(1))
            .new
            .is_empty());
        assert_eq!(reopened.first_seen("a"), Some(t(0)));
        let _ = std::fs::remove_file(&path);
    }
}
