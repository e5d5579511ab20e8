//! Runs the order watcher of `atelier-core` for whoever is signed in, and carries its news
//! to the creator: events to the page, one desktop notification per batch of new orders,
//! or an in-app alert when nothing on this desktop would show the notification.

use std::path::PathBuf;
use std::sync::Arc;

use atelier_core::alerts::{self, Alert};
use atelier_core::session::Session;
use atelier_core::settings::Mode;
use atelier_core::watcher::{
    AtelierMarketplace, Budget, CallLedger, SharedLedger, WatchEvent, WatchStatus, Watcher, WatcherConfig,
    WatcherHandle,
};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::{mpsc, Mutex};

/// The page listens for these.
pub const EVENT: &str = "watch-event";
pub const ALERT: &str = "order-alert";

/// The watcher of the signed-in account, if any.
pub struct Watching {
    root: PathBuf,
    active: Mutex<Option<Active>>,
}

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
        Watching { root, active: Mutex::new(None) }
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
        let Some(((client, agent_id), mode)) = wanted else { return };
        // The rate limit is per network address, so every agent of a mode shares one count;
        // what was seen and what waits to be delivered belong to one agent.
        let mode_dir = self.root.join(mode.as_str());
        let ledger = match CallLedger::open(&mode_dir.join("ledger.json"), Budget::default()) {
            Ok(ledger) => ledger,
            Err(_) => CallLedger::in_memory(Budget::default()),
        };
        let config = WatcherConfig::new(mode_dir.join(safe_dir_name(&agent_id)), SharedLedger::new(ledger));
        let (events_tx, events) = mpsc::channel(64);
        match Watcher::spawn(config, AtelierMarketplace::new(client, agent_id.clone()), events_tx) {
            Ok(handle) => {
                tauri::async_runtime::spawn(forward(app.clone(), events));
                *active = Some(Active { mode, agent_id, handle });
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
        WatchView { status, notifications: notification_state() }
    }

    pub async fn handle(&self) -> Option<WatcherHandle> {
        self.active.lock().await.as_ref().map(|a| a.handle.clone())
    }

    /// For the tray, which cannot wait.
    pub fn check_now(&self) {
        let active = self.active.try_lock().ok().and_then(|a| a.as_ref().map(|a| a.handle.clone()));
        if let Some(handle) = active {
            tauri::async_runtime::spawn(async move {
                let _ = handle.check_now().await;
            });
        }
    }

    /// Pauses or resumes; returns whether watching is now paused.
    pub fn toggle_pause(&self) -> bool {
        let Some(handle) = self.active.try_lock().ok().and_then(|a| a.as_ref().map(|a| a.handle.clone())) else {
            return false;
        };
        let pause = !handle.status().paused;
        tauri::async_runtime::spawn(async move {
            let _ = if pause { handle.pause().await } else { handle.resume().await };
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
    agent_id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect()
}

async fn forward<R: Runtime>(app: AppHandle<R>, mut events: mpsc::Receiver<WatchEvent>) {
    while let Some(event) = events.recv().await {
        if let WatchEvent::NewOrders { orders } = &event {
            if let Some(alert) = alerts::for_new_orders(orders) {
                announce(&app, alert).await;
            }
        }
        let _ = app.emit(EVENT, &event);
    }
}

/// One notification for the batch; an in-app alert instead when no notification server
/// would show it (the plugin itself reports success either way).
async fn announce<R: Runtime>(app: &AppHandle<R>, alert: Alert) {
    let wanted = match app.try_state::<Arc<Session>>() {
        Some(session) => session.preferences().await.notifications,
        None => true,
    };
    let state = notification_state();
    if wanted && state.available {
        let sent = app.notification().builder().title(&alert.title).body(&alert.body).show();
        if sent.is_ok() {
            return;
        }
    }
    let _ = app.emit(ALERT, &alert);
}

fn notification_state() -> NotificationState {
    match alerts::notification_server() {
        Ok(server) => NotificationState { available: true, server: Some(server), reason: None },
        Err(reason) => NotificationState { available: false, server: None, reason: Some(reason) },
    }
}
