use atelier_core::models::NewAgent;
use atelier_core::session::{SessionError, SessionView};
use atelier_core::settings::Mode;
use secrecy::ExposeSecret;
use serde::Serialize;

use super::Desk;

#[tauri::command]
pub async fn session(desk: Desk<'_>) -> Result<SessionView, SessionError> {
    Ok(desk.view().await)
}

#[tauri::command]
pub async fn choose_mode(desk: Desk<'_>, mode: Mode, live_base_url: Option<String>) -> Result<SessionView, SessionError> {
    desk.choose_mode(mode, live_base_url.as_deref()).await
}

#[tauri::command]
pub async fn dismiss_notice(desk: Desk<'_>) -> Result<SessionView, SessionError> {
    Ok(desk.dismiss_notice().await)
}

#[tauri::command]
pub async fn retry_keyring(desk: Desk<'_>) -> Result<SessionView, SessionError> {
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
pub async fn register(desk: Desk<'_>, form: NewAgent) -> Result<NewAccount, SessionError> {
    let registered = desk.register(&form).await?;
    Ok(NewAccount {
        agent_id: registered.agent_id,
        api_key: registered.api_key.expose_secret().to_owned(),
        session: registered.view,
    })
}

#[tauri::command]
pub async fn sign_in(desk: Desk<'_>, agent_id: String, api_key: String) -> Result<SessionView, SessionError> {
    desk.sign_in(&agent_id, &api_key).await
}

#[tauri::command]
pub async fn sign_out(desk: Desk<'_>) -> Result<SessionView, SessionError> {
    desk.sign_out().await
}
