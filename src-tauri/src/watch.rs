//! Carries the desk's news to the creator: every piece to the page (with the status it
//! leaves), the tray's Pause/Resume label, and one desktop notification per batch of new
//! orders — or, when nothing on this desktop would show the notification, an alert kept on
//! disk by the desk until the creator has seen it (the page shows it now if it is open, or
//! when its window next opens; the tray's tooltip counts what waits).

use atelier_core::alerts::{self, Alert};
use atelier_core::desk::{Desk, News};
use atelier_core::watcher::{WatchEvent, WatchStatus};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};
#[cfg(not(target_os = "linux"))]
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::RecvError;

/// The page listens for these.
pub const EVENT: &str = "watch-event";
pub const ALERT: &str = "order-alert";
/// The creator clicked a notification: the payload is the order id to show.
pub const OPEN_ORDER: &str = "open-order";

/// Whether desktop notifications will actually be seen.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationState {
    pub available: bool,
    pub server: Option<String>,
    pub reason: Option<String>,
}

/// What the page shows about watching: the watcher's status (`None` when nobody is signed
/// in) and whether notifications reach the desktop.
#[derive(Debug, Clone, Serialize)]
pub struct WatchView {
    pub status: Option<WatchStatus>,
    pub notifications: NotificationState,
}

pub async fn view_of(status: Option<WatchStatus>) -> WatchView {
    WatchView {
        status,
        notifications: notification_state().await,
    }
}

/// Passes the desk's news on for as long as the app runs.
pub fn carry_news<R: Runtime>(app: &AppHandle<R>, desk: &Desk) {
    let mut news = desk.subscribe();
    let (app, desk) = (app.clone(), desk.clone());
    tauri::async_runtime::spawn(async move {
        loop {
            match news.recv().await {
                Ok(news) => carry(&app, &desk, news).await,
                // The page re-reads the status with the next piece of news.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
        }
    });
}

async fn carry<R: Runtime>(app: &AppHandle<R>, desk: &Desk, news: News) {
    match &news.event {
        Some(WatchEvent::NewOrders { orders }) => {
            if let Some(alert) = alerts::for_new_orders(orders) {
                announce(app, desk, alert).await;
            }
        }
        Some(WatchEvent::OrdersChanged { changes }) => {
            for alert in alerts::for_changes(changes, std::time::SystemTime::now()) {
                tell(app, desk, alert).await;
            }
        }
        _ => {}
    }
    crate::tray::show_status(app, news.status.as_ref());
    // The agent may have changed, and with it the alerts that wait.
    crate::tray::show_waiting(app, desk.waiting_orders());
    let _ = app.emit(EVENT, page_payload(news.event, view_of(news.status).await));
}

/// The page's `watch-event`: the watcher's event as it serialises (`{"type": …}`), or
/// `{"type": "status"}` when only the status changed, with the new `view` added.
fn page_payload(event: Option<WatchEvent>, view: WatchView) -> serde_json::Value {
    let mut payload = event
        .and_then(|e| serde_json::to_value(e).ok())
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| serde_json::json!({"type": "status"}));
    payload["view"] = serde_json::to_value(view).unwrap_or_default();
    payload
}

/// One notification for the batch. When no notification server would show it (the plugin
/// itself reports success either way) or the creator turned notifications off, the alert
/// is kept on disk first (no window may be open to show it: closed, or a start on login),
/// then sent to the page in case one is.
async fn announce<R: Runtime>(app: &AppHandle<R>, desk: &Desk, alert: Alert) {
    let shown = if desk.preferences().await.notifications {
        // D-Bus round trips block: keep them off the async workers.
        let (app, alert) = (app.clone(), alert.clone());
        tokio::task::spawn_blocking(move || {
            alerts::notification_server().is_ok() && show_desktop(&app, &alert)
        })
        .await
        .unwrap_or(false)
    } else {
        false
    };
    if !shown {
        if let Err(e) = desk.keep_alert(alert.clone()) {
            eprintln!("Atelier Desk: could not keep a new-order alert on disk: {e}");
        }
        crate::tray::show_waiting(app, desk.waiting_orders());
        let _ = app.emit(ALERT, &alert);
    }
}

/// News about orders the creator already knows (deadlines, completions, disputes): a
/// desktop notification, or the page's in-app alert when none would show. Not kept on disk
/// as a waiting new-order alert: the order itself says it on the Orders screen.
async fn tell<R: Runtime>(app: &AppHandle<R>, desk: &Desk, alert: Alert) {
    let shown = desk.preferences().await.notifications && {
        let (app, alert) = (app.clone(), alert.clone());
        tokio::task::spawn_blocking(move || {
            alerts::notification_server().is_ok() && show_desktop(&app, &alert)
        })
        .await
        .unwrap_or(false)
    };
    if !shown {
        let _ = app.emit(ALERT, &alert);
    }
}

/// What came of a test notification, for the page to say.
#[derive(Debug, Clone, Serialize)]
pub struct TestNotification {
    pub shown: bool,
    pub message: String,
}

/// A notification that only says notifications work; sent whatever the creator's setting,
/// because they asked for it.
pub async fn test_notification<R: Runtime>(app: &AppHandle<R>) -> TestNotification {
    let alert = Alert {
        title: "Atelier Desk: notifications work".to_owned(),
        body: "New orders will pop up like this.".to_owned(),
        text: "New orders will pop up like this.".to_owned(),
        order_ids: Vec::new(),
    };
    let app = app.clone();
    let outcome = tokio::task::spawn_blocking(move || match alerts::notification_server() {
        Ok(server) if show_desktop(&app, &alert) => Ok(server),
        Ok(server) => Err(format!("{server} did not take the notification")),
        Err(reason) => Err(reason),
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    match outcome {
        Ok(server) => TestNotification {
            shown: true,
            message: format!("Sent. If you didn't see it, check your desktop's notification settings ({server})."),
        },
        Err(reason) => TestNotification {
            shown: false,
            message: format!("Nothing on this desktop shows notifications, so new orders will show only inside Atelier Desk. ({reason})"),
        },
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

async fn notification_state() -> NotificationState {
    let server = tokio::task::spawn_blocking(alerts::notification_server)
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
    match server {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> WatchView {
        WatchView {
            status: None,
            notifications: NotificationState {
                available: false,
                server: None,
                reason: Some("none".into()),
            },
        }
    }

    #[test]
    fn a_status_change_reaches_the_page_as_its_own_kind_of_news() {
        let payload = page_payload(None, view());
        assert_eq!(payload["type"], "status");
        assert_eq!(payload["view"]["status"], serde_json::Value::Null);
        assert_eq!(payload["view"]["notifications"]["available"], false);
    }

    #[test]
    fn a_watcher_event_keeps_its_fields_and_gains_the_view() {
        let payload = page_payload(Some(WatchEvent::Paused), view());
        assert_eq!(payload["type"], "paused");
        assert!(payload["view"].is_object());
    }
}
