//! New-order alerts that no desktop notification showed (notifications off, no notification
//! server, the window closed or never opened), kept on disk until the creator has seen them.
//!
//! Without this, an alert the page could not show because no page was open was simply
//! lost: the order still waited in the inbox, but nothing told the creator so. Now the
//! alert is written down first (crash-safe, [`crate::json_file`]), beside the watcher's
//! own files for the same mode and agent, and the page shows whatever waits when its
//! window next opens. The creator dismissing it, opening the inbox, or delivering the order
//! takes it away.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::alerts::Alert;
use crate::error::PageError;
use crate::json_file;
use crate::models::Timestamp;

/// The file, in the folder of one mode and agent (next to `seen-orders.json`).
pub const ALERTS_FILE: &str = "waiting-alerts.json";

/// More than this many waiting alerts and the oldest go: the orders themselves are still in
/// the inbox, and a file that only grows would be worse.
const MOST_KEPT: usize = 200;

/// An alert waiting to be seen, as the page gets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingAlert {
    pub title: String,
    /// Plain text, for the page (`textContent`).
    pub text: String,
    /// The notification's body (markup escaped), kept for a notification shown later.
    pub body: String,
    /// The orders it announces that have not been seen yet.
    pub order_ids: Vec<String>,
    /// When it could not be shown: ISO 8601, UTC.
    pub kept_at: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    version: u32,
    alerts: Vec<WaitingAlert>,
}

/// Saving what the creator has seen failed.
#[derive(Debug, thiserror::Error)]
#[error("Atelier Desk couldn't save that you've seen these orders, so it may tell you about them again after a restart. Check that your disk isn't full. ({0})")]
pub struct AlertsError(#[from] pub io::Error);

impl PageError for AlertsError {
    fn code(&self) -> &'static str {
        "alerts_failed"
    }
}

crate::serialize_as_page_error!(AlertsError);

/// The waiting alerts of one mode and agent.
#[derive(Debug)]
pub struct AlertStore {
    path: Option<PathBuf>,
    alerts: Vec<WaitingAlert>,
}

impl AlertStore {
    pub fn in_memory() -> AlertStore {
        AlertStore {
            path: None,
            alerts: Vec::new(),
        }
    }

    /// The alerts kept at `path`. A damaged file is set aside (kept for a person to look
    /// at) and reported with the empty store: an alert shown twice or not at all is the
    /// lesser evil next to an app that cannot start watching.
    pub fn open(path: &Path) -> (AlertStore, Option<io::Error>) {
        let mut store = AlertStore {
            path: Some(path.to_owned()),
            alerts: Vec::new(),
        };
        let problem = match json_file::load::<Saved>(path) {
            Ok(saved) => {
                store.alerts = saved.map(|s| s.alerts).unwrap_or_default();
                None
            }
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let aside = json_file::set_aside(path);
                Some(io::Error::new(
                    io::ErrorKind::InvalidData,
                    match aside {
                        Ok(kept) => format!("{e}; it was kept as {}", kept.display()),
                        Err(why) => format!("{e}; it could not be set aside: {why}"),
                    },
                ))
            }
            Err(e) => Some(e),
        };
        (store, problem)
    }

    /// Keeps `alert` until its orders are seen, written to disk before this returns.
    /// `Ok(false)`: every order it announces is waiting already, so nothing was added. On a
    /// failed save the alert is still kept in memory (shown while the app runs).
    pub fn keep(&mut self, alert: Alert, now: SystemTime) -> io::Result<bool> {
        let fresh = alert
            .order_ids
            .iter()
            .any(|id| !self.is_waiting(id) && !id.is_empty());
        if !fresh {
            return Ok(false);
        }
        let kept_at = now
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| Timestamp::from_unix(i64::try_from(d.as_secs()).ok()?))
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        self.alerts.push(WaitingAlert {
            title: alert.title,
            text: alert.text,
            body: alert.body,
            order_ids: dedup(alert.order_ids),
            kept_at,
        });
        let over = self.alerts.len().saturating_sub(MOST_KEPT);
        self.alerts.drain(..over);
        self.save().map(|()| true)
    }

    /// Every alert still waiting, oldest first.
    pub fn waiting(&self) -> Vec<WaitingAlert> {
        self.alerts.clone()
    }

    /// How many orders wait to be seen (an order in two alerts counts once).
    pub fn waiting_orders(&self) -> usize {
        let mut ids: Vec<&str> = self
            .alerts
            .iter()
            .flat_map(|a| a.order_ids.iter().map(String::as_str))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// The creator has seen these orders: they leave every alert, and an alert with no
    /// order left goes. Saved before this returns; on failure memory has changed anyway
    /// (what the creator dismissed stays dismissed while the app runs).
    pub fn dismiss(&mut self, order_ids: &[String]) -> io::Result<()> {
        let before = self.alerts.clone();
        for alert in &mut self.alerts {
            alert.order_ids.retain(|id| !order_ids.contains(id));
        }
        self.alerts.retain(|a| !a.order_ids.is_empty());
        if self.alerts == before {
            return Ok(());
        }
        self.save()
    }

    fn is_waiting(&self, order_id: &str) -> bool {
        self.alerts
            .iter()
            .any(|a| a.order_ids.iter().any(|id| id == order_id))
    }

    fn save(&self) -> io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        json_file::save(
            path,
            &Saved {
                version: 1,
                alerts: self.alerts.clone(),
            },
        )
    }
}

fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("atelier-desk-alerts-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("practice").join("ext_1").join(ALERTS_FILE)
    }

    fn alert(title: &str, ids: &[&str]) -> Alert {
        Alert {
            title: title.to_owned(),
            body: format!("&lt;b&gt;{title}"),
            text: format!("<b>{title}"),
            order_ids: ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn cleanup(path: &Path) {
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap().parent().unwrap());
    }

    #[test]
    fn a_kept_alert_survives_a_restart_as_it_was() {
        let path = scratch("restart");
        let (mut store, problem) = AlertStore::open(&path);
        assert!(problem.is_none(), "no file yet is not a problem");
        assert!(store.waiting().is_empty());
        assert!(store
            .keep(
                alert("New order: Logo — $5.00", &["ord_1"]),
                at(1_700_000_000)
            )
            .unwrap());

        // A new app on the same data: the same alert, word for word.
        drop(store);
        let (again, problem) = AlertStore::open(&path);
        assert!(problem.is_none());
        let waiting = again.waiting();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].title, "New order: Logo — $5.00");
        assert_eq!(
            waiting[0].text, "<b>New order: Logo — $5.00",
            "the plain text, as it was"
        );
        assert_eq!(waiting[0].order_ids, ["ord_1"]);
        assert_eq!(waiting[0].kept_at, "2023-11-14T22:13:20Z");
        assert_eq!(again.waiting_orders(), 1);
        cleanup(&path);
    }

    #[test]
    fn dismissed_orders_leave_and_stay_gone_after_a_restart() {
        let path = scratch("dismiss");
        let (mut store, _) = AlertStore::open(&path);
        store
            .keep(alert("2 new paid orders", &["ord_1", "ord_2"]), at(10))
            .unwrap();
        store
            .keep(alert("New order: Logo", &["ord_3"]), at(20))
            .unwrap();
        assert_eq!(store.waiting_orders(), 3);

        // One order of the pair seen: the pair's alert stays for the other.
        store.dismiss(&["ord_1".to_owned()]).unwrap();
        assert_eq!(store.waiting().len(), 2);
        assert_eq!(store.waiting()[0].order_ids, ["ord_2"]);
        assert_eq!(store.waiting_orders(), 2);

        store
            .dismiss(&["ord_2".to_owned(), "ord_3".to_owned()])
            .unwrap();
        assert!(store.waiting().is_empty());
        // Dismissing what is not there changes nothing and is no error.
        store.dismiss(&["ord_9".to_owned()]).unwrap();

        let (again, _) = AlertStore::open(&path);
        assert!(again.waiting().is_empty(), "the dismissal was saved");
        assert_eq!(again.waiting_orders(), 0);
        cleanup(&path);
    }

    #[test]
    fn the_same_orders_are_not_kept_twice() {
        let path = scratch("duplicates");
        let (mut store, _) = AlertStore::open(&path);
        assert!(store.keep(alert("New order", &["ord_1"]), at(10)).unwrap());
        // Announced again (a crash before the watcher saved what it had seen).
        assert!(!store.keep(alert("New order", &["ord_1"]), at(20)).unwrap());
        assert!(!store
            .keep(alert("Again", &["ord_1", "ord_1"]), at(30))
            .unwrap());
        assert_eq!(store.waiting().len(), 1);
        // A batch with one new order is kept; the count still counts each order once.
        assert!(store
            .keep(
                alert("2 new paid orders", &["ord_1", "ord_2", "ord_2"]),
                at(40)
            )
            .unwrap());
        assert_eq!(store.waiting().len(), 2);
        assert_eq!(store.waiting()[1].order_ids, ["ord_1", "ord_2"]);
        assert_eq!(store.waiting_orders(), 2);
        // And after a restart too.
        let (mut again, _) = AlertStore::open(&path);
        assert!(!again.keep(alert("New order", &["ord_2"]), at(50)).unwrap());
        assert_eq!(again.waiting().len(), 2);
        cleanup(&path);
    }

    #[test]
    fn a_damaged_file_is_set_aside_and_the_store_starts_empty() {
        let path = scratch("damaged");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"{\"version\": 1, \"alerts\": [").unwrap();
        let (mut store, problem) = AlertStore::open(&path);
        assert_eq!(problem.unwrap().kind(), io::ErrorKind::InvalidData);
        assert!(store.waiting().is_empty());
        assert!(store.keep(alert("New order", &["ord_1"]), at(10)).unwrap());
        let kept_aside = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".damaged-"));
        assert!(
            kept_aside,
            "the damaged file is kept for a person to look at"
        );
        cleanup(&path);
    }

    #[test]
    fn only_the_newest_alerts_are_kept_when_very_many_wait() {
        let mut store = AlertStore::in_memory();
        for n in 0..(MOST_KEPT + 5) {
            store
                .keep(alert("New order", &[&format!("ord_{n}")]), at(n as u64))
                .unwrap();
        }
        let waiting = store.waiting();
        assert_eq!(waiting.len(), MOST_KEPT);
        assert_eq!(waiting[0].order_ids, ["ord_5"]);
    }
}
