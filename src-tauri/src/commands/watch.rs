use atelier_core::desk::{AlertsError, Inbox, WaitingAlert};
use atelier_core::models::{Delivery, Order};
use atelier_core::session::SessionError;

use tauri::{AppHandle, Runtime};

use super::DeskState;
use crate::watch::{view_of, WatchView};

#[tauri::command]
pub async fn watch_status(desk: DeskState<'_>) -> Result<WatchView, SessionError> {
    Ok(view_of(desk.status().await).await)
}

/// Every order, grouped by the page; costs budget only when the kept list is stale or
/// `refresh` is asked for.
#[tauri::command]
pub async fn orders(desk: DeskState<'_>, refresh: Option<bool>) -> Result<Inbox, SessionError> {
    desk.orders(refresh.unwrap_or(false)).await
}

#[tauri::command]
pub async fn check_now(desk: DeskState<'_>) -> Result<WatchView, SessionError> {
    desk.check_now().await;
    Ok(view_of(desk.status().await).await)
}

#[tauri::command]
pub async fn pause_watching(desk: DeskState<'_>) -> Result<WatchView, SessionError> {
    desk.pause().await;
    Ok(view_of(desk.status().await).await)
}

#[tauri::command]
pub async fn resume_watching(desk: DeskState<'_>) -> Result<WatchView, SessionError> {
    desk.resume().await;
    Ok(view_of(desk.status().await).await)
}

/// Queues a confirmed delivery; the outcome arrives later as a `watch-event`.
#[tauri::command]
pub async fn deliver(
    desk: DeskState<'_>,
    order_id: String,
    form: Delivery,
) -> Result<WatchView, SessionError> {
    desk.deliver(&order_id, &form).await?;
    Ok(view_of(desk.status().await).await)
}

/// Pre-selects the media type from a deliverable URL's extension.
#[tauri::command]
pub fn guess_media_type(url: String) -> Option<&'static str> {
    atelier_core::models::MediaType::guess_from_url(&url)
}

/// Practice mode: a pretend client pays for one of the creator's services.
#[tauri::command]
pub async fn simulate_order(
    desk: DeskState<'_>,
    service_id: Option<String>,
    brief: Option<String>,
) -> Result<Order, SessionError> {
    desk.simulate_order(service_id.as_deref(), brief.as_deref())
        .await
}

/// New-order alerts no desktop notification showed, waiting to be seen (oldest first).
#[tauri::command]
pub fn waiting_alerts(desk: DeskState<'_>) -> Vec<WaitingAlert> {
    desk.waiting_alerts()
}

/// The creator has seen these orders: their alerts go. Answers what still waits.
#[tauri::command]
pub async fn dismiss_alerts<R: Runtime>(
    desk: DeskState<'_>,
    app: AppHandle<R>,
    order_ids: Vec<String>,
) -> Result<Vec<WaitingAlert>, AlertsError> {
    let left = desk.dismiss_alerts(&order_ids);
    crate::tray::show_waiting(&app, desk.waiting_orders());
    left
}
