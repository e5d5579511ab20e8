//! The creator's order list as last seen, kept on disk per mode and agent (beside the
//! watcher's own files, crash-safe, owner-only) so that opening the app or the Orders
//! screen shows it at once and spends nothing of the hour's budget.
//!
//! The list comes from a full (rate-limited) listing only when there is none yet or the
//! creator asks for one (Refresh). After that it is kept current by the watcher's news
//! (`fold`) and by the free per-order call (`GET /orders/{id}`) for the orders whose status
//! may still change (`follow`). Every change is written to disk before it is answered.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::client::AtelierClient;
use crate::error::ApiError;
use crate::json_file;
use crate::models::{Order, OrderStatus, Timestamp};
use crate::watcher::Problem;

/// The file, in the folder of one mode and agent (next to `waiting-alerts.json`).
pub const ORDERS_FILE: &str = "orders.json";

/// Every order of the signed-in agent, as last seen.
#[derive(Debug, Clone, Serialize)]
pub struct Inbox {
    /// When the whole list was last read from Atelier (a limited listing).
    pub fetched_at: Timestamp,
    /// When anything in it was last brought up to date (a listing, the watcher's news, or
    /// the free per-order look); `fetched_at` until then.
    pub updated_at: Timestamp,
    pub orders: Vec<Order>,
    /// The known orders are being looked up now (free): ask `orders` again in a moment for
    /// the result.
    pub updating: bool,
    /// A new list was wanted but could not be had (budget spent, Atelier asked us to slow
    /// down, another copy watches, offline): this is the last known list instead, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_listed: Option<Problem>,
}

/// How often the known orders are looked up again (free, but polite).
const FOLLOW_EVERY: Duration = Duration::from_secs(2 * 60);

/// At most this many orders are looked up in one go, the newest first.
const MOST_FOLLOWED: usize = 60;

/// Looked up at the same time.
const AT_ONCE: usize = 4;

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    version: u32,
    fetched_at: String,
    #[serde(default)]
    updated_at: Option<String>,
    orders: Vec<Order>,
}

#[derive(Default)]
struct State {
    /// Where the list of the current mode and agent is kept; `None`: in memory only.
    path: Option<PathBuf>,
    inbox: Option<Inbox>,
    /// When the known orders were last looked up in this run.
    followed: Option<Instant>,
}

#[derive(Default)]
pub(super) struct KeptInbox {
    state: Mutex<State>,
    /// Bumped whenever the list starts belonging to someone else, so an answer for the old
    /// one never lands in the new one.
    generation: AtomicU64,
    /// How many lists were fetched so far, to tell a waiting caller one just arrived.
    fetches: AtomicU64,
    /// One listing at a time: two screens asking together share one request.
    pub(super) fetching: tokio::sync::Mutex<()>,
    /// One look-up of the known orders at a time.
    following: Arc<tokio::sync::Mutex<()>>,
}

/// What a look-up of the known orders needs, taken when it starts.
pub(super) struct Follow {
    generation: u64,
    ids: Vec<String>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl KeptInbox {
    /// Switches to the list kept at `path` (`None`: nobody signed in). A damaged file is
    /// set aside (kept for a person to look at) and reported: the next listing rebuilds it.
    pub(super) fn open(&self, path: Option<PathBuf>) -> Option<io::Error> {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let (inbox, problem) = match &path {
            Some(path) => load(path),
            None => (None, None),
        };
        *self.lock() = State {
            path,
            inbox,
            followed: None,
        };
        problem
    }

    pub(super) fn get(&self) -> Option<Inbox> {
        self.lock().inbox.clone()
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(super) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    /// A new full list, for the generation it was asked for; `None` if the list belongs to
    /// someone else by now. A failed save keeps it for this run.
    pub(super) fn replace(
        &self,
        generation: u64,
        orders: Vec<Order>,
        now: SystemTime,
    ) -> Option<Inbox> {
        let mut state = self.lock();
        if self.generation() != generation {
            return None;
        }
        let at = timestamp(now);
        let inbox = Inbox {
            fetched_at: at,
            updated_at: at,
            orders,
            updating: false,
            not_listed: None,
        };
        state.inbox = Some(inbox.clone());
        state.followed = Some(Instant::now());
        save(&state);
        self.fetches.fetch_add(1, Ordering::SeqCst);
        Some(inbox)
    }

    /// Folds orders the watcher saw into the kept list, newest first, and keeps it.
    pub(super) fn fold(&self, seen: &[Order]) {
        self.merge(self.generation(), seen, SystemTime::now());
    }

    /// Whether a look-up of the known orders is under way.
    pub(super) fn is_following(&self) -> bool {
        self.following.try_lock().is_err()
    }

    /// The orders to look up now, if it is time to (once per run, then every few minutes)
    /// and there is any whose status may still change. Taking it holds the turn.
    pub(super) fn follow_due(&self) -> Option<Follow> {
        self.follow_due_after(FOLLOW_EVERY)
    }

    /// As [`KeptInbox::follow_due`], when the last look-up is at least `every` old.
    pub(super) fn follow_due_after(&self, every: Duration) -> Option<Follow> {
        let turn = self.following.clone().try_lock_owned().ok()?;
        let mut state = self.lock();
        if state.followed.is_some_and(|at| at.elapsed() < every) {
            return None;
        }
        let ids: Vec<String> = state
            .inbox
            .as_ref()?
            .orders
            .iter()
            .filter(|o| may_change(&o.status))
            .take(MOST_FOLLOWED)
            .map(|o| o.id.clone())
            .collect();
        state.followed = Some(Instant::now());
        if ids.is_empty() {
            return None;
        }
        Some(Follow {
            generation: self.generation(),
            ids,
            _turn: turn,
        })
    }

    /// Looks each order of `follow` up (`GET /orders/{id}`, outside every rate limit),
    /// a few at a time, and keeps what changed. An order Atelier cannot show (gone, or a
    /// server without the call) stays as it was; a connection problem ends the look-up.
    pub(super) async fn follow(self: Arc<Self>, follow: Follow, client: AtelierClient) {
        let mut seen = Vec::new();
        'all: for chunk in follow.ids.chunks(AT_ONCE) {
            let mut asks = tokio::task::JoinSet::new();
            for id in chunk {
                let (client, id) = (client.clone(), id.clone());
                asks.spawn(async move { client.order(&id).await });
            }
            while let Some(answer) = asks.join_next().await {
                match answer {
                    Ok(Ok(detail)) => seen.push(detail.order),
                    Ok(Err(ApiError::Network(_))) => break 'all,
                    _ => {}
                }
            }
        }
        let known: Vec<Order> = {
            let state = self.lock();
            let Some(inbox) = state.inbox.as_ref() else {
                return;
            };
            // Only orders the list still has, and only when something changed.
            seen.into_iter()
                .filter(|o| inbox.orders.iter().any(|k| k.id == o.id && k != o))
                .collect()
        };
        self.merge(follow.generation, &known, SystemTime::now());
        drop(follow);
    }

    fn merge(&self, generation: u64, seen: &[Order], now: SystemTime) {
        let mut state = self.lock();
        if seen.is_empty() || self.generation() != generation {
            return;
        }
        let Some(inbox) = state.inbox.as_mut() else {
            return;
        };
        for order in seen {
            match inbox.orders.iter_mut().find(|o| o.id == order.id) {
                Some(existing) => *existing = order.clone(),
                None => inbox.orders.insert(0, order.clone()),
            }
        }
        inbox.updated_at = timestamp(now);
        save(&state);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Statuses an order can still leave: worth a free look after a while.
fn may_change(status: &OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::PendingQuote
            | OrderStatus::Quoted
            | OrderStatus::Accepted
            | OrderStatus::Paid
            | OrderStatus::InProgress
            | OrderStatus::Delivered
            | OrderStatus::RevisionRequested
            | OrderStatus::Disputed
    )
}

fn timestamp(now: SystemTime) -> Timestamp {
    Timestamp::from(time::OffsetDateTime::from(now))
}

fn load(path: &Path) -> (Option<Inbox>, Option<io::Error>) {
    match json_file::load::<Saved>(path) {
        Ok(None) => (None, None),
        Ok(Some(saved)) => {
            let fetched = Timestamp::parse(&saved.fetched_at);
            match fetched {
                Some(fetched_at) => {
                    let updated_at = saved
                        .updated_at
                        .as_deref()
                        .and_then(Timestamp::parse)
                        .unwrap_or(fetched_at);
                    let inbox = Inbox {
                        fetched_at,
                        updated_at,
                        orders: saved.orders,
                        updating: false,
                        not_listed: None,
                    };
                    (Some(inbox), None)
                }
                None => (None, Some(set_aside(path, "its date is unreadable"))),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            (None, Some(set_aside(path, &e.to_string())))
        }
        Err(e) => (None, Some(e)),
    }
}

fn set_aside(path: &Path, why: &str) -> io::Error {
    let aside = json_file::set_aside(path);
    io::Error::new(
        io::ErrorKind::InvalidData,
        match aside {
            Ok(kept) => format!("{why}; it was kept as {}", kept.display()),
            Err(e) => format!("{why}; it could not be set aside: {e}"),
        },
    )
}

/// Writes the list down; a failed save keeps it in memory for this run (the next listing
/// or change tries again), which is all a cache can lose.
fn save(state: &State) {
    let (Some(path), Some(inbox)) = (&state.path, &state.inbox) else {
        return;
    };
    let saved = Saved {
        version: 1,
        fetched_at: inbox.fetched_at.to_rfc3339(),
        updated_at: Some(inbox.updated_at.to_rfc3339()),
        orders: inbox.orders.clone(),
    };
    if let Err(e) = json_file::save(path, &saved) {
        eprintln!("Atelier Desk: couldn't keep the order list: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("atelier-desk-inbox-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("practice").join("ext_1").join(ORDERS_FILE)
    }

    fn cleanup(path: &Path) {
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap().parent().unwrap());
    }

    fn order(id: &str, status: &str) -> Order {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "service_id": "svc_1",
            "service_title": "Neon avatar pack",
            "brief": format!("brief of {id}"),
            "status": status,
            "quoted_price_usd": "5.00",
            "created_at": "2025-02-17T12:00:00Z",
        }))
        .unwrap()
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn the_list_survives_a_restart_as_it_was() {
        let path = scratch("restart");
        let kept = KeptInbox::default();
        assert!(kept.open(Some(path.clone())).is_none(), "no file yet");
        assert!(kept.get().is_none());
        let generation = kept.generation();
        kept.replace(
            generation,
            vec![order("ord_2", "paid"), order("ord_1", "completed")],
            at(1_700_000_000),
        )
        .unwrap();

        let again = KeptInbox::default();
        assert!(again.open(Some(path.clone())).is_none());
        let inbox = again.get().expect("the kept list");
        assert_eq!(inbox.fetched_at.to_rfc3339(), "2023-11-14T22:13:20Z");
        assert_eq!(
            inbox.orders,
            [order("ord_2", "paid"), order("ord_1", "completed")]
        );
        assert!(!inbox.updating);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "clients' briefs are private");
        }
        cleanup(&path);
    }

    #[test]
    fn what_the_watcher_folds_in_is_kept_too() {
        let path = scratch("fold");
        let kept = KeptInbox::default();
        kept.open(Some(path.clone()));
        kept.replace(kept.generation(), vec![order("ord_1", "paid")], at(10))
            .unwrap();
        kept.fold(&[order("ord_2", "paid"), order("ord_1", "delivered")]);

        let again = KeptInbox::default();
        again.open(Some(path.clone()));
        let inbox = again.get().unwrap();
        assert_eq!(
            inbox.orders,
            [order("ord_2", "paid"), order("ord_1", "delivered")],
            "the new order first, the delivered one replaced"
        );
        assert_eq!(inbox.fetched_at.to_rfc3339(), "1970-01-01T00:00:10Z");
        assert!(inbox.updated_at > inbox.fetched_at);
        cleanup(&path);
    }

    #[test]
    fn a_damaged_file_is_set_aside_and_the_list_starts_empty() {
        let path = scratch("damaged");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"{\"version\": 1, \"orders\": [").unwrap();
        let kept = KeptInbox::default();
        let problem = kept.open(Some(path.clone())).expect("reported");
        assert_eq!(problem.kind(), io::ErrorKind::InvalidData);
        assert!(
            kept.get().is_none(),
            "nothing to show: the next listing rebuilds it"
        );
        let kept_aside = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".damaged-"));
        assert!(
            kept_aside,
            "the damaged file is kept for a person to look at"
        );
        kept.replace(kept.generation(), vec![order("ord_1", "paid")], at(10))
            .unwrap();
        assert!(KeptInbox::default().open(Some(path.clone())).is_none());
        cleanup(&path);
    }

    #[test]
    fn an_answer_for_the_previous_agent_never_lands_in_the_next_ones_list() {
        let (first, second) = (scratch("first"), scratch("second"));
        let kept = KeptInbox::default();
        kept.open(Some(first.clone()));
        let old = kept.generation();
        kept.open(Some(second.clone()));
        assert!(kept
            .replace(old, vec![order("ord_1", "paid")], at(10))
            .is_none());
        kept.merge(old, &[order("ord_1", "paid")], at(10));
        assert!(kept.get().is_none());
        assert!(!second.exists());
        cleanup(&first);
        cleanup(&second);
    }

    #[test]
    fn only_orders_that_may_still_change_are_followed_and_not_too_often() {
        let kept = KeptInbox::default();
        kept.open(None);
        assert!(kept.follow_due().is_none(), "no list, nothing to follow");
        kept.open(None);
        kept.lock().inbox = Some(Inbox {
            fetched_at: timestamp(at(10)),
            updated_at: timestamp(at(10)),
            orders: vec![
                order("ord_3", "quoted"),
                order("ord_2", "completed"),
                order("ord_1", "delivered"),
                order("ord_0", "cancelled"),
            ],
            updating: false,
            not_listed: None,
        });
        let follow = kept.follow_due().expect("due after a start");
        assert_eq!(follow.ids, ["ord_3", "ord_1"]);
        assert!(kept.is_following());
        assert!(kept.follow_due().is_none(), "one at a time");
        drop(follow);
        assert!(!kept.is_following());
        assert!(kept.follow_due().is_none(), "not again so soon");
    }
}
