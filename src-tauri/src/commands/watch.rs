use std::sync::Arc;

use atelier_core::models::{Delivery, Order};
use atelier_core::session::SessionError;
use atelier_core::settings::Preferences;
use tauri::State;

use super::Desk;
use crate::watch::{Inbox, WatchView, Watching};

type Watch<'a> = State<'a, Arc<Watching>>;

#[tauri::command]
pub async fn watch_status(watching: Watch<'_>) -> Result<WatchView, SessionError> {
    Ok(watching.view().await)
}

/// Every order, grouped by the page; costs budget only when the kept list is stale or
/// `refresh` is asked for.
#[tauri::command]
pub async fn orders(
    desk: Desk<'_>,
    watching: Watch<'_>,
    refresh: Option<bool>,
) -> Result<Inbox, SessionError> {
    watching.inbox(&desk, refresh.unwrap_or(false)).await
}

#[tauri::command]
pub async fn check_now(watching: Watch<'_>) -> Result<WatchView, SessionError> {
    if let Some(handle) = watching.handle().await {
        let _ = handle.check_now().await;
    }
    Ok(watching.view().await)
}

#[tauri::command]
pub async fn pause_watching(watching: Watch<'_>) -> Result<WatchView, SessionError> {
    if let Some(handle) = watching.handle().await {
        let _ = handle.pause().await;
    }
    Ok(watching.view().await)
}

#[tauri::command]
pub async fn resume_watching(watching: Watch<'_>) -> Result<WatchView, SessionError> {
    if let Some(handle) = watching.handle().await {
        let _ = handle.resume().await;
    }
    Ok(watching.view().await)
}

/// Queues a confirmed delivery with the watcher, which sends it within the rate limit,
/// keeps it across restarts, and never sends it twice. The outcome arrives as an event.
#[tauri::command]
pub async fn deliver(
    watching: Watch<'_>,
    order_id: String,
    form: Delivery,
) -> Result<WatchView, SessionError> {
    let delivery = atelier_core::validate::delivery(&form)?;
    let handle = watching
        .handle()
        .await
        .ok_or(atelier_core::error::ApiError::NotSignedIn)?;
    let _ = handle.deliver(order_id, delivery).await;
    Ok(watching.view().await)
}

#[tauri::command]
pub async fn preferences(desk: Desk<'_>) -> Result<Preferences, SessionError> {
    Ok(desk.preferences().await)
}

#[tauri::command]
pub async fn set_preferences(
    desk: Desk<'_>,
    preferences: Preferences,
) -> Result<Preferences, SessionError> {
    desk.set_preferences(preferences).await
}

/// Pre-selects the media type from a deliverable URL's extension.
#[tauri::command]
pub fn guess_media_type(url: String) -> Option<&'static str> {
    atelier_core::models::MediaType::guess_from_url(&url)
}

/// Practice mode: a pretend client pays for one of the creator's services, so the whole
/// flow — notification, delivery, completion — can be rehearsed. The watcher is asked to
/// look right away (still within the budget).
#[tauri::command]
pub async fn simulate_order(
    desk: Desk<'_>,
    watching: Watch<'_>,
    service_id: Option<String>,
    brief: Option<String>,
) -> Result<Order, SessionError> {
    let order = desk
        .simulate_order(service_id.as_deref(), brief.as_deref())
        .await?;
    if let Some(handle) = watching.handle().await {
        let _ = handle.check_now().await;
    }
    Ok(order)
}
