//! The order watcher's life inside the desk: one watcher for whoever is signed in where,
//! replaced whenever that changes, its news folded into the inbox and passed on as one
//! stream. A watcher that ends without being asked to (a panic in an unwinding build, a
//! bug) is reported in plain words and started again after a growing pause: the creator
//! relies on it without looking at it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use super::inbox::KeptInbox;
use super::News;
use crate::session::Target;
use crate::watcher::{
    Marketplace, Problem, SharedLedger, Waiting, WatchEvent, WatchStatus, Watcher, WatcherConfig,
    WatcherHandle,
};

/// A watcher at work for one target.
pub(super) struct Running {
    pub(super) target: Target,
    pub(super) handle: WatcherHandle,
    forward: JoinHandle<()>,
    /// Set before a requested stop, so its end is not taken for a death.
    stopping: Arc<AtomicBool>,
}

/// What the desk does when a watcher dies: start another for the same target later, and
/// say how much later.
pub(super) type OnDeath = Box<dyn FnOnce() -> Duration + Send>;

impl Running {
    /// Starts watching `target`; on failure, the problem to show instead.
    pub(super) fn start<M: Marketplace>(
        target: Target,
        market: M,
        watch_dir: &Path,
        ledger: SharedLedger,
        inbox: Arc<KeptInbox>,
        news: broadcast::Sender<News>,
        on_death: OnDeath,
    ) -> Result<Running, Problem> {
        let agent_dir = agent_dir(watch_dir, &target);
        let (events_tx, events) = mpsc::channel(64);
        let handle = Watcher::spawn(WatcherConfig::new(agent_dir, ledger), market, events_tx)
            .map_err(|e| Problem {
                code: "storage".to_owned(),
                message: "Atelier Desk couldn't open what it knows about your orders. Check that your disk isn't full, then restart the app.".to_owned(),
                detail: Some(e.to_string()),
                retry_after_secs: None,
            })?;
        let stopping = Arc::new(AtomicBool::new(false));
        let forward = tokio::spawn({
            let (handle, stopping) = (handle.clone(), stopping.clone());
            async move {
                forward(events, handle.subscribe(), inbox, &news).await;
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                // Let the task finish dying so the status below can tell.
                for _ in 0..100 {
                    if handle.is_finished() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                let again_in = on_death();
                let status = dead_status(handle.status(), Some(again_in));
                let event = status
                    .problem
                    .clone()
                    .map(|problem| WatchEvent::Problem { problem });
                let _ = news.send(News {
                    event,
                    status: Some(status),
                });
            }
        });
        Ok(Running {
            target,
            handle,
            forward,
            stopping,
        })
    }

    /// The watcher's status, saying so when it is not running any more.
    pub(super) fn status(&self) -> WatchStatus {
        let status = self.handle.status();
        if self.handle.is_finished() && !self.stopping.load(Ordering::SeqCst) {
            dead_status(status, None)
        } else {
            status
        }
    }

    pub(super) fn is_dead(&self) -> bool {
        self.handle.is_finished() && !self.stopping.load(Ordering::SeqCst)
    }

    pub(super) async fn stop(self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.handle.stop().await;
        // Whatever the watcher said before stopping has been passed on by now or is moot.
        self.forward.abort();
    }
}

/// How long to wait before starting a watcher again after its `deaths`-th death in a row:
/// 5 s, doubling, at most 5 minutes.
pub(super) fn revival_delay(deaths: u32) -> Duration {
    Duration::from_secs(5)
        .saturating_mul(2u32.saturating_pow(deaths.saturating_sub(1).min(10)))
        .min(Duration::from_secs(300))
}

/// The last status of a watcher that ended unasked: not running, and why.
fn dead_status(mut status: WatchStatus, again_in: Option<Duration>) -> WatchStatus {
    let when = match again_in.map(|d| d.as_secs()) {
        Some(secs) if secs < 60 => format!("in about {secs} seconds"),
        Some(secs) => format!("in about {} minutes", secs.div_ceil(60)),
        None => "shortly".to_owned(),
    };
    status.running = false;
    status.next_check = None;
    status.waiting = Waiting::Stopped;
    status.problem = Some(Problem {
        code: "watcher_stopped".to_owned(),
        message: format!("Watching for orders stopped unexpectedly. Atelier Desk starts it again by itself {when}; deliveries you confirmed are kept and will still be sent."),
        detail: None,
        retry_after_secs: again_in.map(|d| d.as_secs()),
    });
    status
}

/// Passes the watcher's events and status changes on, keeping the inbox in step first so a
/// screen that reacts to the news already finds it in the list. Returns when the watcher
/// has gone, whether asked to or not.
async fn forward(
    mut events: mpsc::Receiver<WatchEvent>,
    mut status: watch::Receiver<WatchStatus>,
    inbox: Arc<KeptInbox>,
    news: &broadcast::Sender<News>,
) {
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                match &event {
                    WatchEvent::NewOrders { orders } => inbox.fold(orders),
                    WatchEvent::Delivered { order } => inbox.fold(std::slice::from_ref(order)),
                    _ => {}
                }
                let now = status.borrow_and_update().clone();
                let _ = news.send(News { event: Some(event), status: Some(now) });
            }
            changed = status.changed() => {
                if changed.is_err() {
                    break;
                }
                let now = status.borrow_and_update().clone();
                let _ = news.send(News { event: None, status: Some(now) });
            }
        }
    }
}

/// The folder of one mode and agent: what was seen, what waits to be delivered and which
/// alerts wait to be seen belong to one agent.
pub(super) fn agent_dir(watch_dir: &Path, target: &Target) -> PathBuf {
    watch_dir
        .join(target.mode.as_str())
        .join(safe_dir_name(&target.agent_id))
}

/// Agent ids are opaque: keep them from naming anything but one folder.
fn safe_dir_name(agent_id: &str) -> String {
    agent_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::error::ApiError;
    use crate::models::{Delivery, Order};
    use crate::settings::Mode;
    use crate::watcher::{Budget, CallLedger};

    #[test]
    fn an_agent_id_cannot_climb_out_of_the_watch_folder() {
        assert_eq!(safe_dir_name("../../etc"), "______etc");
        assert_eq!(
            safe_dir_name("ext_1700000000000_ab12"),
            "ext_1700000000000_ab12"
        );
    }

    #[test]
    fn a_watcher_that_keeps_dying_is_started_again_less_and_less_often() {
        let delays: Vec<u64> = (1..=9).map(|n| revival_delay(n).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(revival_delay(u32::MAX).as_secs(), 300);
    }

    /// A marketplace whose answer the watcher cannot survive (a bug we have not found yet).
    struct Deadly;

    impl Marketplace for Deadly {
        async fn payable_orders(&self) -> Result<Vec<Order>, ApiError> {
            panic!("a bug in the watcher")
        }
        async fn all_orders(&self) -> Result<Vec<Order>, ApiError> {
            panic!("a bug in the watcher")
        }
        async fn probe(&self) -> Result<(), ApiError> {
            Ok(())
        }
        async fn deliver(&self, _: &str, _: &Delivery) -> Result<Order, ApiError> {
            panic!("a bug in the watcher")
        }
    }

    #[tokio::test]
    async fn a_watcher_that_dies_unasked_is_reported_and_handed_back_to_the_desk() {
        let dir = tempfile_dir("dies");
        let (news, mut heard) = broadcast::channel(16);
        let revived = Arc::new(Mutex::new(0));
        let on_death: OnDeath = {
            let revived = revived.clone();
            Box::new(move || {
                *revived.lock().unwrap() += 1;
                Duration::from_secs(5)
            })
        };
        let target = Target {
            mode: Mode::Practice,
            base_url: "http://127.0.0.1:9/api/atelier".into(),
            agent_id: "ext_1".into(),
        };
        let ledger = SharedLedger::new(CallLedger::in_memory(Budget::default()));
        let running =
            Running::start(target, Deadly, &dir, ledger, Arc::default(), news, on_death).unwrap();

        let said = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let news = heard.recv().await.unwrap();
                if let Some(WatchEvent::Problem { problem }) = news.event {
                    return (problem, news.status.unwrap());
                }
            }
        })
        .await
        .expect("the death is announced");
        assert_eq!(said.0.code, "watcher_stopped");
        assert!(
            said.0.message.contains("about 5 seconds"),
            "{}",
            said.0.message
        );
        assert!(
            !said.1.running,
            "the status never says running when it is not"
        );
        assert_eq!(*revived.lock().unwrap(), 1);
        assert!(running.is_dead());
        assert!(!running.status().running);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_watcher_stopped_on_purpose_is_not_mourned() {
        let dir = tempfile_dir("stopped");
        let (news, _) = broadcast::channel(16);
        let revived = Arc::new(Mutex::new(0));
        let on_death: OnDeath = {
            let revived = revived.clone();
            Box::new(move || {
                *revived.lock().unwrap() += 1;
                Duration::ZERO
            })
        };
        let target = Target {
            mode: Mode::Practice,
            base_url: "http://127.0.0.1:9/api/atelier".into(),
            agent_id: "ext_2".into(),
        };
        let ledger = SharedLedger::new(CallLedger::in_memory(Budget::default()));
        let market = crate::watcher::AtelierMarketplace::new(
            crate::client::AtelierClient::new(
                crate::base_url::BaseUrl::parse(&target.base_url).unwrap(),
            )
            .unwrap(),
            "ext_2",
        );
        let running =
            Running::start(target, market, &dir, ledger, Arc::default(), news, on_death).unwrap();
        running.stop().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(*revived.lock().unwrap(), 0);
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "atelier-desk-watching-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }
}
