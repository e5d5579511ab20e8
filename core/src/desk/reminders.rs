//! Deadlines and changes, each announced once: an order due within a few hours, an order
//! late, and a delivered order the client completed, disputed, or an order cancelled.
//!
//! The kept order list (`inbox.rs`) is judged against what was judged last time, which is
//! written down per mode and agent beside the other files (`order-reminders.json`, saved
//! before anything is announced, crash-safe through [`crate::json_file`]). So a change is
//! announced once whichever way the list learnt of it (a listing, the free per-order look,
//! a practice action), also when it happened while the app was closed, and never again
//! after a restart. The very first judgement only records the statuses: an account signed
//! into for the first time must not announce every order it ever completed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::json_file;
use crate::models::{Order, OrderStatus, Timestamp};
use crate::watcher::{ChangeKind, OrderChange};

/// The file, in the folder of one mode and agent.
pub const REMINDERS_FILE: &str = "order-reminders.json";

/// What the server fills in when a service is created without a turnaround (and what the
/// Orders screen assumes for a service it no longer lists).
pub const DEFAULT_TURNAROUND_HOURS: u64 = 48;

/// "Due soon" this long before the deadline at most; a quarter of the turnaround for a
/// short one (a 2-hour job is not "due soon" the moment it is paid).
const DUE_SOON_AT_MOST: Duration = Duration::from_secs(3 * 3600);

/// When a paid order is due: its creation plus its service's turnaround. The API has no
/// payment time; creation is the only moment both sides know, and the earlier one.
pub fn due_at(order: &Order, turnaround_hours: Option<u64>) -> Option<SystemTime> {
    let created = SystemTime::from(order.created_at?.as_offset());
    let hours = turnaround_hours
        .filter(|h| *h > 0)
        .unwrap_or(DEFAULT_TURNAROUND_HOURS)
        .min(24 * 365);
    created.checked_add(Duration::from_secs(hours * 3600))
}

/// Orders waiting for the creator: the ones a deadline applies to.
fn awaits_delivery(status: &OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Paid | OrderStatus::InProgress | OrderStatus::RevisionRequested
    )
}

/// The deadline news `orders` hold at `now`: late, or else due soon. `turnaround` maps a
/// service id to its hours.
pub fn deadline_changes(
    orders: &[Order],
    turnaround: &HashMap<String, u64>,
    now: SystemTime,
) -> Vec<OrderChange> {
    let mut changes = Vec::new();
    for order in orders.iter().filter(|o| awaits_delivery(&o.status)) {
        let hours = turnaround.get(&order.service_id).copied();
        let Some(due) = due_at(order, hours) else {
            continue;
        };
        let span = Duration::from_secs(hours.unwrap_or(DEFAULT_TURNAROUND_HOURS).max(1) * 3600);
        let soon = DUE_SOON_AT_MOST.min(span / 4);
        let kind = if now >= due {
            ChangeKind::Late
        } else if due.duration_since(now).unwrap_or_default() <= soon {
            ChangeKind::DueSoon
        } else {
            continue;
        };
        changes.push(OrderChange {
            kind,
            order: order.clone(),
            due_at: Some(Timestamp::from(time::OffsetDateTime::from(due))),
        });
    }
    changes
}

/// The status news between what was judged (`before`, id → status) and `orders`: an order
/// that moved into completed, disputed or cancelled. Orders not judged before are not news.
pub fn status_changes(before: &BTreeMap<String, String>, orders: &[Order]) -> Vec<OrderChange> {
    orders
        .iter()
        .filter_map(|order| {
            let was = before.get(&order.id)?;
            if was == order.status.as_str() {
                return None;
            }
            let kind = match order.status {
                OrderStatus::Completed => ChangeKind::Completed,
                OrderStatus::Disputed => ChangeKind::Disputed,
                OrderStatus::Cancelled => ChangeKind::Cancelled,
                _ => return None,
            };
            Some(OrderChange {
                kind,
                order: order.clone(),
                due_at: None,
            })
        })
        .collect()
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    version: u32,
    /// The status of each order when last judged.
    statuses: BTreeMap<String, String>,
    /// What has been announced, for which order.
    announced: Vec<(String, ChangeKind)>,
}

/// What has been judged and announced for one mode and agent.
#[derive(Debug)]
pub struct Reminders {
    path: Option<PathBuf>,
    /// `None` until the first judgement: nothing to compare with yet.
    statuses: Option<BTreeMap<String, String>>,
    announced: BTreeSet<(String, ChangeKind)>,
}

impl Reminders {
    pub fn in_memory() -> Reminders {
        Reminders {
            path: None,
            statuses: None,
            announced: BTreeSet::new(),
        }
    }

    /// The record kept at `path`. A damaged file is set aside and reported with an empty
    /// record, which only records on its first judgement (a deadline may be told again).
    pub fn open(path: &Path) -> (Reminders, Option<io::Error>) {
        let mut reminders = Reminders {
            path: Some(path.to_owned()),
            ..Reminders::in_memory()
        };
        match json_file::load::<Saved>(path) {
            Ok(Some(saved)) => {
                reminders.statuses = Some(saved.statuses);
                reminders.announced = saved.announced.into_iter().collect();
                (reminders, None)
            }
            Ok(None) => (reminders, None),
            Err(e) => {
                let _ = json_file::set_aside(path);
                (reminders, Some(e))
            }
        }
    }

    /// Judges `orders` at `now`: the news never announced before, recorded (on disk first)
    /// as announced. When the record cannot be saved the news is still told, and the error
    /// says it may be told again after a restart: better twice than never.
    pub fn review(
        &mut self,
        orders: &[Order],
        turnaround: &HashMap<String, u64>,
        now: SystemTime,
    ) -> (Vec<OrderChange>, Option<io::Error>) {
        let mut news = match &self.statuses {
            Some(before) => status_changes(before, orders),
            None => Vec::new(),
        };
        news.extend(deadline_changes(orders, turnaround, now));
        news.retain(|c| !self.announced.contains(&(c.order.id.clone(), c.kind)));
        // "Due soon" is stale news once the same look finds the order late.
        let late: BTreeSet<String> = news
            .iter()
            .filter(|c| c.kind == ChangeKind::Late)
            .map(|c| c.order.id.clone())
            .collect();
        news.retain(|c| c.kind != ChangeKind::DueSoon || !late.contains(&c.order.id));

        let statuses: BTreeMap<String, String> = orders
            .iter()
            .map(|o| (o.id.clone(), o.status.as_str().to_owned()))
            .collect();
        let changed = self.statuses.as_ref() != Some(&statuses) || !news.is_empty();
        for c in &news {
            self.announced.insert((c.order.id.clone(), c.kind));
            if c.kind == ChangeKind::Late {
                // Never "due soon" after "late", should the clock be set back.
                self.announced
                    .insert((c.order.id.clone(), ChangeKind::DueSoon));
            }
        }
        // Only orders still listed are worth remembering: the file stays as small as the list.
        self.announced.retain(|(id, _)| statuses.contains_key(id));
        self.statuses = Some(statuses);
        let error = if changed { self.save().err() } else { None };
        (news, error)
    }

    fn save(&self) -> io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if let Some(dir) = path.parent() {
            json_file::create_private_dir(dir)?;
        }
        json_file::save(
            path,
            &Saved {
                version: 1,
                statuses: self.statuses.clone().unwrap_or_default(),
                announced: self.announced.iter().cloned().collect(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Usd;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("atelier-reminders-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join(REMINDERS_FILE)
    }

    fn at(secs: i64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs as u64)
    }

    fn order(id: &str, status: &str, created_secs: i64) -> Order {
        let created = time::OffsetDateTime::from(at(created_secs));
        serde_json::from_value(serde_json::json!({
            "id": id,
            "service_id": "svc_1",
            "service_title": "Neon avatar pack",
            "brief": "Three avatars",
            "status": status,
            "quoted_price_usd": "5.00",
            "created_at": created.format(&time::format_description::well_known::Rfc3339).unwrap(),
        }))
        .unwrap()
    }

    fn day() -> HashMap<String, u64> {
        HashMap::from([("svc_1".to_owned(), 24)])
    }

    fn kinds(news: &[OrderChange]) -> Vec<(String, ChangeKind)> {
        news.iter().map(|c| (c.order.id.clone(), c.kind)).collect()
    }

    #[test]
    fn a_day_long_order_is_due_soon_three_hours_before_and_late_after() {
        let orders = [order("ord_1", "paid", 0)];
        let hour = 3600;
        assert!(deadline_changes(&orders, &day(), at(20 * hour)).is_empty());
        let soon = deadline_changes(&orders, &day(), at(21 * hour + 1));
        assert_eq!(kinds(&soon), [("ord_1".into(), ChangeKind::DueSoon)]);
        let late = deadline_changes(&orders, &day(), at(24 * hour));
        assert_eq!(kinds(&late), [("ord_1".into(), ChangeKind::Late)]);
        assert!(late[0].due_at.is_some());
    }

    #[test]
    fn a_short_job_is_due_soon_only_in_its_last_quarter() {
        let turnaround = HashMap::from([("svc_1".to_owned(), 2)]);
        let orders = [order("ord_1", "paid", 0)];
        assert!(deadline_changes(&orders, &turnaround, at(60)).is_empty());
        assert!(deadline_changes(&orders, &turnaround, at(5400 - 1)).is_empty());
        assert_eq!(
            kinds(&deadline_changes(&orders, &turnaround, at(5400))),
            [("ord_1".into(), ChangeKind::DueSoon)]
        );
    }

    #[test]
    fn delivered_or_unpaid_orders_have_no_deadline_news() {
        let orders = [
            order("ord_1", "delivered", 0),
            order("ord_2", "quoted", 0),
            order("ord_3", "completed", 0),
        ];
        assert!(deadline_changes(&orders, &day(), at(100 * 3600)).is_empty());
    }

    #[test]
    fn each_piece_of_news_is_told_once_also_after_a_restart() {
        let path = scratch("once");
        let (mut reminders, damaged) = Reminders::open(&path);
        assert!(damaged.is_none());
        let mut orders = vec![order("ord_1", "paid", 0), order("ord_2", "delivered", 0)];
        // The first look only records.
        let (news, error) = reminders.review(&orders, &day(), at(3600));
        assert!(news.is_empty() && error.is_none(), "{news:?}");

        orders[1] = order("ord_2", "completed", 0);
        let (news, _) = reminders.review(&orders, &day(), at(2 * 3600));
        assert_eq!(kinds(&news), [("ord_2".into(), ChangeKind::Completed)]);
        let (news, _) = reminders.review(&orders, &day(), at(3 * 3600));
        assert!(news.is_empty(), "{news:?}");

        let late = at(25 * 3600);
        let (news, _) = reminders.review(&orders, &day(), late);
        assert_eq!(
            kinds(&news),
            [("ord_1".into(), ChangeKind::Late)],
            "late, and not also due soon"
        );

        let (mut restarted, damaged) = Reminders::open(&path);
        assert!(damaged.is_none());
        let (news, _) = restarted.review(&orders, &day(), late);
        assert!(news.is_empty(), "told again after a restart: {news:?}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_change_made_while_the_app_was_closed_is_told_at_the_next_start() {
        let path = scratch("closed");
        let (mut reminders, _) = Reminders::open(&path);
        let before = [order("ord_1", "delivered", 0), order("ord_2", "quoted", 0)];
        reminders.review(&before, &day(), at(60));
        drop(reminders);
        let after = [
            order("ord_1", "disputed", 0),
            order("ord_2", "cancelled", 0),
        ];
        let (mut restarted, _) = Reminders::open(&path);
        let (news, _) = restarted.review(&after, &day(), at(120));
        assert_eq!(
            kinds(&news),
            [
                ("ord_1".into(), ChangeKind::Disputed),
                ("ord_2".into(), ChangeKind::Cancelled)
            ]
        );
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_damaged_record_is_set_aside_and_only_records_its_first_look() {
        let path = scratch("damaged");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{ not json").unwrap();
        let (mut reminders, damaged) = Reminders::open(&path);
        assert!(damaged.is_some());
        let (news, _) = reminders.review(&[order("ord_1", "completed", 0)], &day(), at(60));
        assert!(news.is_empty(), "{news:?}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn an_unknown_status_is_kept_and_announces_nothing() {
        let before = BTreeMap::from([("ord_1".to_owned(), "delivered".to_owned())]);
        let mut odd = order("ord_1", "on_hold_by_moderator", 0);
        odd.quoted_price_usd = Some(Usd::from_server("5.00"));
        assert!(status_changes(&before, &[odd]).is_empty());
    }
}
