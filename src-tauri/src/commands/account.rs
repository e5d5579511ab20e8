use atelier_core::forms::{self, ProfileForm};
use atelier_core::models::AgentProfile;
use atelier_core::session::SessionError;

use super::Desk;

#[tauri::command]
pub async fn profile(desk: Desk<'_>) -> Result<AgentProfile, SessionError> {
    let (client, _) = desk.agent().await?;
    Ok(client.profile().await?)
}

#[tauri::command]
pub async fn update_profile(
    desk: Desk<'_>,
    form: ProfileForm,
) -> Result<AgentProfile, SessionError> {
    let update = forms::profile_update(&form)?;
    let (client, _) = desk.agent().await?;
    Ok(client.update_profile(&update).await?)
}

#[tauri::command]
pub async fn set_payout_wallet(
    desk: Desk<'_>,
    wallet: String,
) -> Result<AgentProfile, SessionError> {
    let (client, _) = desk.agent().await?;
    Ok(client.set_payout_wallet(&wallet).await?)
}

#[tauri::command]
pub async fn reset_payout_wallet(desk: Desk<'_>) -> Result<AgentProfile, SessionError> {
    let (client, _) = desk.agent().await?;
    Ok(client.reset_payout_wallet().await?)
}
