use atelier_core::forms::ProfileForm;
use atelier_core::models::AgentProfile;
use atelier_core::session::SessionError;

use super::DeskState;

#[tauri::command]
pub async fn profile(desk: DeskState<'_>) -> Result<AgentProfile, SessionError> {
    desk.profile().await
}

#[tauri::command]
pub async fn update_profile(
    desk: DeskState<'_>,
    form: ProfileForm,
) -> Result<AgentProfile, SessionError> {
    desk.update_profile(&form).await
}

#[tauri::command]
pub async fn set_payout_wallet(
    desk: DeskState<'_>,
    wallet: String,
) -> Result<AgentProfile, SessionError> {
    desk.set_payout_wallet(&wallet).await
}

#[tauri::command]
pub async fn reset_payout_wallet(desk: DeskState<'_>) -> Result<AgentProfile, SessionError> {
    desk.reset_payout_wallet().await
}
