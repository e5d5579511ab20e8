use atelier_core::desk::{DesktopFacts, Readiness};
use atelier_core::session::SessionError;
use tauri::{AppHandle, Runtime};

use super::{start_on_login, DeskState};
use crate::watch::{self, TestNotification};

/// The latest of the orders that may still change, looked up now for free; `true` while
/// the look-up runs (ask `orders` or `earnings` again until `updating` is false).
#[tauri::command]
pub async fn look_again(desk: DeskState<'_>) -> Result<bool, SessionError> {
    Ok(desk.look_again().await)
}

/// "Open for business": the desk's lines, with what only the desktop can tell.
#[tauri::command]
pub async fn readiness<R: Runtime>(
    desk: DeskState<'_>,
    app: AppHandle<R>,
) -> Result<Readiness, SessionError> {
    let facts = DesktopFacts {
        notifications_reach: watch::view_of(None).await.notifications.available,
        notifications_on: desk.preferences().await.notifications,
        starts_on_login: start_on_login(app).ok(),
    };
    desk.readiness(facts).await
}

/// Shows a notification now, so the creator sees what a new order will look like.
#[tauri::command]
pub async fn send_test_notification<R: Runtime>(app: AppHandle<R>) -> TestNotification {
    watch::test_notification(&app).await
}
