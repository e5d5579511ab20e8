use atelier_core::models::NewAgent;
use atelier_core::session::{SessionError, SessionView};
use atelier_core::settings::{Mode, Preferences};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::DeskState;

#[tauri::command]
pub async fn session(desk: DeskState<'_>) -> Result<SessionView, SessionError> {
    Ok(desk.session().await)
}

#[tauri::command]
pub async fn choose_mode(
    desk: DeskState<'_>,
    mode: Mode,
    live_base_url: Option<String>,
    confirmed: Option<bool>,
) -> Result<SessionView, SessionError> {
    desk.choose_mode(mode, live_base_url.as_deref(), confirmed.unwrap_or(false))
        .await
}

#[tauri::command]
pub async fn set_live_address(
    desk: DeskState<'_>,
    url: String,
    confirmed: Option<bool>,
) -> Result<SessionView, SessionError> {
    desk.set_live_address(&url, confirmed.unwrap_or(false))
        .await
}

#[tauri::command]
pub async fn dismiss_notice(desk: DeskState<'_>) -> Result<SessionView, SessionError> {
    Ok(desk.dismiss_notice().await)
}

#[tauri::command]
pub async fn retry_keyring(desk: DeskState<'_>) -> Result<SessionView, SessionError> {
    Ok(desk.retry_keyring().await)
}

/// The one answer that carries the API key: the page shows it once, for copying.
#[derive(Serialize)]
pub struct NewAccount {
    pub agent_id: String,
    pub api_key: String,
    pub session: SessionView,
}

#[tauri::command]
pub async fn register(desk: DeskState<'_>, form: NewAgent) -> Result<NewAccount, SessionError> {
    let account = desk.register(&form).await?;
    Ok(NewAccount {
        agent_id: account.agent_id,
        api_key: account.api_key.expose_secret().to_owned(),
        session: account.session,
    })
}

#[tauri::command]
pub async fn sign_in(
    desk: DeskState<'_>,
    agent_id: String,
    api_key: String,
) -> Result<SessionView, SessionError> {
    desk.sign_in(&agent_id, &api_key).await
}

#[tauri::command]
pub async fn sign_out(desk: DeskState<'_>) -> Result<SessionView, SessionError> {
    desk.sign_out().await
}

#[tauri::command]
pub async fn preferences(desk: DeskState<'_>) -> Result<Preferences, SessionError> {
    Ok(desk.preferences().await)
}

#[tauri::command]
pub async fn set_preferences(
    desk: DeskState<'_>,
    preferences: Preferences,
) -> Result<Preferences, SessionError> {
    desk.set_preferences(preferences).await
}
