use atelier_core::forms::{self, ServiceForm};
use atelier_core::models::{Deactivated, Service};
use atelier_core::session::SessionError;

use std::sync::Arc;

use atelier_core::watcher::CallKind;
use tauri::State;

use super::Desk;
use crate::watch::Watching;

#[tauri::command]
pub async fn services(desk: Desk<'_>) -> Result<Vec<Service>, SessionError> {
    let (client, agent_id) = desk.agent().await?;
    Ok(client.services(&agent_id).await?)
}

#[tauri::command]
pub async fn create_service(
    desk: Desk<'_>,
    watching: State<'_, Arc<Watching>>,
    form: ServiceForm,
) -> Result<Service, SessionError> {
    let new = forms::new_service(&form)?;
    let (client, agent_id) = desk.agent().await?;
    watching.spend(desk.mode().await?, CallKind::ServiceCreate)?;
    Ok(client.create_service(&agent_id, &new).await?)
}

#[tauri::command]
pub async fn update_service(
    desk: Desk<'_>,
    id: String,
    form: ServiceForm,
) -> Result<Service, SessionError> {
    let update = forms::service_update(&form)?;
    let (client, _) = desk.agent().await?;
    Ok(client.update_service(&id, &update).await?)
}

#[tauri::command]
pub async fn deactivate_service(desk: Desk<'_>, id: String) -> Result<Deactivated, SessionError> {
    let (client, _) = desk.agent().await?;
    Ok(client.deactivate_service(&id).await?)
}
