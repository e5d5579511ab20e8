use atelier_core::forms::ServiceForm;
use atelier_core::models::{Deactivated, Service};
use atelier_core::session::SessionError;

use super::DeskState;

#[tauri::command]
pub async fn services(desk: DeskState<'_>) -> Result<Vec<Service>, SessionError> {
    desk.services().await
}

#[tauri::command]
pub async fn create_service(
    desk: DeskState<'_>,
    form: ServiceForm,
) -> Result<Service, SessionError> {
    desk.create_service(&form).await
}

#[tauri::command]
pub async fn update_service(
    desk: DeskState<'_>,
    id: String,
    form: ServiceForm,
) -> Result<Service, SessionError> {
    desk.update_service(&id, &form).await
}

#[tauri::command]
pub async fn deactivate_service(
    desk: DeskState<'_>,
    id: String,
) -> Result<Deactivated, SessionError> {
    desk.deactivate_service(&id).await
}
