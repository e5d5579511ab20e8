//! Runs the order watcher of `atelier-core` for whoever is signed in, and carries its news
//! to the creator: events to the page, one desktop notification per batch of new orders,
//! or an in-app alert when nothing on this desktop would show the notification.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use atelier_core::alerts::{self, Alert};
use atelier_core::error::ApiError;
use atelier_core::models::{Order, Timestamp};
use atelier_core::session::{Session, SessionError};
use atelier_core::settings::Mode;
use atelier_core::watcher::{
    AtelierMarketplace, Budget, CallKind, CallLedger, SharedLedger, WatchEvent, WatchStatus,
    Watcher, WatcherConfig, WatcherHandle,
};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
#[cfg(not(target_os = "linux"))]
use tauri_plugin_notification::NotificationExt;
use tokio::sync::{mpsc, Mutex};

/// The page listens for these.
pub const EVENT: &str = "watch-event";
pub const ALERT: &str = "order-alert";
/// The creator clicked a notification: the payload is the order id to show.
pub const OPEN_ORDER: &str = "open-order";

/// The watcher of the signed-in account, if any, and the rate-limit count per marketplace.
pub struct Watching {
    root: PathBuf,
    active: Mutex<Option<Active>>,
    /// The limit is per network address, so every agent of a mode — and every limited
    /// call the app makes, not only the watcher's — shares one count per marketplace.
    ledgers: std::sync::Mutex<HashMap<Mode, SharedLedger>>,
    /// The last full order list, kept current with the watcher's news, so opening the
    /// inbox does not spend the hour's budget.
    inbox: Arc<std::sync::Mutex<Option<Inbox>>>,
}

/// Every order of the signed-in agent, as last seen.
#[derive(Debug, Clone, Serialize)]
pub struct Inbox {
    pub fetched_at: Timestamp,
    pub orders: Vec<Order>,
}

/// How long a full list is good for before the inbox asks the server again.
const INBOX_FRESH: Duration = Duration::from_secs(10 * 60);

struct Active {
    mode: Mode,
    agent_id: String,
    handle: WatcherHandle,
}

/// Whether desktop notifications will actually be seen.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationState {
    pub available: bool,
    pub server: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchView {
    pub status: Option<WatchStatus>,
    pub notifications: NotificationState,
}

impl Watching {
    pub fn new(root: PathBuf) -> Watching {
        Watching {
            root,
            active: Mutex::new(None),
            ledgers: Default::default(),
            inbox: Default::default(),
        }
    }

    /// The inbox: the kept list when fresh, else a new one if the budget allows (polls
    /// never take the slots kept for deliveries); the kept list when it does not.
    pub async fn inbox(&self, session: &Session, refresh: bool) -> Result<Inbox, SessionError> {
        let kept = self.inbox.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let fresh = |i: &Inbox| {
            let age = SystemTime::now().duration_since(SystemTime::from(i.fetched_at.as_offset()));
            age.is_ok_and(|age| age < INBOX_FRESH)
        };
        if let Some(kept) = kept.as_ref().filter(|i| !refresh && fresh(i)) {
            return Ok(kept.clone());
        }
        let (client, agent_id) = session.agent().await?;
        if let Err(wait) = self.spend(session.mode().await?, CallKind::OrdersPoll) {
            return kept.ok_or(SessionError::Api(wait));
        }
        let orders = client.orders(&agent_id, &[]).await?;
        let inbox = Inbox {
            fetched_at: Timestamp::from(time::OffsetDateTime::now_utc()),
            orders,
        };
        *self.inbox.lock().unwrap_or_else(|p| p.into_inner()) = Some(inbox.clone());
        Ok(inbox)
    }

    pub fn ledger(&self, mode: Mode) -> SharedLedger {
        let mut ledgers = self.ledgers.lock().unwrap_or_else(|p| p.into_inner());
        ledgers
            .entry(mode)
            .or_insert_with(|| {
                let path = self.root.join(mode.as_str()).join("ledger.json");
                // A ledger that cannot be read starts empty rather than stopping the app;
                // the server's own 429s still hold the line.
                let ledger = CallLedger::open(&path, Budget::default())
                    .unwrap_or_else(|_| CallLedger::in_memory(Budget::default()));
                SharedLedger::new(ledger)
            })
            .clone()
    }

    /// Takes one limited call of `kind` from the budget, or says when to try again.
    pub fn spend(&self, mode: Mode, kind: CallKind) -> Result<(), ApiError> {
        let now = SystemTime::now();
        self.ledger(mode).try_spend(kind, now).map_err(|not_yet| {
            let wait = not_yet.until.duration_since(now).unwrap_or_default();
            ApiError::RateLimited {
                retry_after_secs: Some(wait.as_secs().max(1)),
                reset_at: Some(Timestamp::from(time::OffsetDateTime::from(not_yet.until))),
            }
        })
    }

    /// Starts, swaps or stops the watcher so it matches the session: one watcher for the
    /// signed-in agent of the active mode, none when signed out.
    pub async fn sync<R: Runtime>(&self, app: &AppHandle<R>, session: &Session) {
        let wanted = session.agent().await.ok().zip(session.view().await.mode);
        let mut active = self.active.lock().await;
        let same = match (&*active, &wanted) {
            (Some(a), Some(((_, agent_id), mode))) => a.mode == *mode && &a.agent_id == agent_id,
            (None, None) => true,
            _ => false,
        };
        if same {
            return;
        }
        if let Some(old) = active.take() {
            old.handle.stop().await;
        }
        *self.inbox.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let Some(((client, agent_id), mode)) = wanted else {
            return;
        };
        // What was seen and what waits to be delivered belong to one agent.
        let agent_dir = self.root.join(mode.as_str()).join(safe_dir_name(&agent_id));
        let config = WatcherConfig::new(agent_dir, self.ledger(mode));
        let (events_tx, events) = mpsc::channel(64);
        match Watcher::spawn(
            config,
            AtelierMarketplace::new(client, agent_id.clone()),
            events_tx,
        ) {
            Ok(handle) => {
                tauri::async_runtime::spawn(forward(app.clone(), events, self.inbox.clone()));
                *active = Some(Active {
                    mode,
                    agent_id,
                    handle,
                });
            }
            Err(e) => {
                let _ = app.emit(EVENT, serde_json::json!({"type": "problem", "problem": {
                    "code": "storage", "message": "Atelier Desk couldn't open what it knows about your orders.",
                    "detail": e.to_string()}}));
            }
        }
    }

    pub async fn view(&self) -> WatchView {
        let status = self.active.lock().await.as_ref().map(|a| a.handle.status());
        WatchView {
            status,
            notifications: notification_state(),
        }
    }

    pub async fn handle(&self) -> Option<WatcherHandle> {
        self.active.lock().await.as_ref().map(|a| a.handle.clone())
    }

    /// For the tray, which cannot wait.
    pub fn check_now(&self) {
        let active = self
            .active
            .try_lock()
            .ok()
            .and_then(|a| a.as_ref().map(|a| a.handle.clone()));
        if let Some(handle) = active {
            tauri::async_runtime::spawn(async move {
                let _ = handle.check_now().await;
            });
        }
    }

    /// Pauses or resumes; returns whether watching is now paused.
    pub fn toggle_pause(&self) -> bool {
        let Some(handle) = self
            .active
            .try_lock()
            .ok()
            .and_then(|a| a.as_ref().map(|a| a.handle.clone()))
        else {
            return false;
        };
        let pause = !handle.status().paused;
        tauri::async_runtime::spawn(async move {
            let _ = if pause {
                handle.pause().await
            } else {
                handle.resume().await
            };
        });
        pause
    }

    pub async fn stop(&self) {
        if let Some(active) = self.active.lock().await.take() {
            active.handle.stop().await;
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

async fn forward<R: Runtime>(
    app: AppHandle<R>,
    mut events: mpsc::Receiver<WatchEvent>,
    inbox: Arc<std::sync::Mutex<Option<Inbox>>>,
) {
    while let Some(event) = events.recv().await {
        match &event {
            WatchEvent::NewOrders { orders } => keep(&inbox, orders),
            WatchEvent::Delivered { order } => keep(&inbox, std::slice::from_ref(order)),
            _ => {}
        }
        if let WatchEvent::NewOrders { orders } = &event {
            if let Some(alert) = alerts::for_new_orders(orders) {
                announce(&app, alert).await;
            }
        }
        let _ = app.emit(EVENT, &event);
    }
}

/// Folds orders the watcher saw into the kept inbox list, newest first.
fn keep(inbox: &std::sync::Mutex<Option<Inbox>>, seen: &[Order]) {
    let mut inbox = inbox.lock().unwrap_or_else(|p| p.into_inner());
    let Some(inbox) = inbox.as_mut() else { return };
    for order in seen {
        match inbox.orders.iter_mut().find(|o| o.id == order.id) {
            Some(existing) => *existing = order.clone(),
            None => inbox.orders.insert(0, order.clone()),
        }
    }
}

/// One notification for the batch; an in-app alert instead when no notification server
/// would show it (the plugin itself reports success either way) or the creator turned
/// notifications off.
async fn announce<R: Runtime>(app: &AppHandle<R>, alert: Alert) {
    let wanted = match app.try_state::<Arc<Session>>() {
        Some(session) => session.preferences().await.notifications,
        None => true,
    };
    let shown = if wanted {
        // D-Bus round trips block: keep them off the async workers.
        let (app, alert) = (app.clone(), alert.clone());
        tokio::task::spawn_blocking(move || {
            notification_state().available && show_desktop(&app, &alert)
        })
        .await
        .unwrap_or(false)
    } else {
        false
    };
    if !shown {
        let _ = app.emit(ALERT, &alert);
    }
}

/// Linux: clicking the notification opens the window on the order (the plugin cannot
/// report clicks there, notify-rust's default action can).
#[cfg(target_os = "linux")]
fn show_desktop<R: Runtime>(app: &AppHandle<R>, alert: &Alert) -> bool {
    let shown = notify_rust::Notification::new()
        .appname("Atelier Desk")
        .summary(&alert.title)
        .body(&alert.body)
        .action("default", "Open")
        .show();
    let Ok(handle) = shown else { return false };
    let (app, order_id) = (app.clone(), alert.order_ids.first().cloned());
    // Waiting for a click blocks until the notification is closed: give it its own thread.
    std::thread::spawn(move || {
        handle.wait_for_action(|action| {
            if action == "default" {
                crate::desktop::show_main_window(&app);
                let _ = app.emit(OPEN_ORDER, order_id);
            }
        })
    });
    true
}

#[cfg(not(target_os = "linux"))]
fn show_desktop<R: Runtime>(app: &AppHandle<R>, alert: &Alert) -> bool {
    app.notification()
        .builder()
        .title(&alert.title)
        .body(&alert.body)
        .show()
        .is_ok()
}

fn notification_state() -> NotificationState {
    match alerts::notification_server() {
        Ok(server) => NotificationState {
            available: true,
            server: Some(server),
            reason: None,
        },
        Err(reason) => NotificationState {
            available: false,
            server: None,
            reason: Some(reason),
        },
    }
}
