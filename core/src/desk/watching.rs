//! The order watcher's life inside the desk: one watcher for whoever is signed in where,
//! replaced whenever that changes, its news folded into the inbox and passed on as one
//! stream.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use super::inbox::KeptInbox;
use super::News;
use crate::client::AtelierClient;
use crate::session::Target;
use crate::watcher::{
    AtelierMarketplace, Problem, SharedLedger, WatchEvent, WatchStatus, Watcher, WatcherConfig,
    WatcherHandle,
};

/// A watcher at work for one target.
pub(super) struct Running {
    pub(super) target: Target,
    pub(super) handle: WatcherHandle,
    forward: JoinHandle<()>,
}

impl Running {
    /// Starts watching `target`; on failure, the problem to show instead.
    pub(super) fn start(
        target: Target,
        client: AtelierClient,
        watch_dir: &Path,
        ledger: SharedLedger,
        inbox: Arc<KeptInbox>,
        news: broadcast::Sender<News>,
    ) -> Result<Running, Problem> {
        // What was seen and what waits to be delivered belong to one agent.
        let agent_dir = watch_dir
            .join(target.mode.as_str())
            .join(safe_dir_name(&target.agent_id));
        let (events_tx, events) = mpsc::channel(64);
        let market = AtelierMarketplace::new(client, target.agent_id.clone());
        let handle = Watcher::spawn(WatcherConfig::new(agent_dir, ledger), market, events_tx)
            .map_err(|e| Problem {
                code: "storage".to_owned(),
                message: "Atelier Desk couldn't open what it knows about your orders. Check that your disk isn't full, then restart the app.".to_owned(),
                detail: Some(e.to_string()),
                retry_after_secs: None,
            })?;
        let forward = tokio::spawn(forward(events, handle.subscribe(), inbox, news));
        Ok(Running {
            target,
            handle,
            forward,
        })
    }

    pub(super) async fn stop(self) {
        self.handle.stop().await;
        // Whatever the watcher said before stopping has been passed on by now or is moot.
        self.forward.abort();
    }
}

/// Passes the watcher's events and status changes on, keeping the inbox in step first so a
/// screen that reacts to the news already finds it in the list.
async fn forward(
    mut events: mpsc::Receiver<WatchEvent>,
    mut status: watch::Receiver<WatchStatus>,
    inbox: Arc<KeptInbox>,
    news: broadcast::Sender<News>,
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
    use super::safe_dir_name;

    #[test]
    fn an_agent_id_cannot_climb_out_of_the_watch_folder() {
        assert_eq!(safe_dir_name("../../etc"), "______etc");
        assert_eq!(
            safe_dir_name("ext_1700000000000_ab12"),
            "ext_1700000000000_ab12"
        );
    }
}
