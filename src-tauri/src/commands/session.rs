use atelier_core::models::NewAgent;
use atelier_core::session::{SessionError, SessionView};
use atelier_core::settings::Mode;
use secrecy::ExposeSecret;
use serde::Serialize;

use std::sync::Arc;

use atelier_core::watcher::CallKind;
use tauri::{AppHandle, Manager, Runtime};

use crate::watch::Watching;

use super::{follow_session, Desk};

#[tauri::command]
pub async fn session(desk: Desk<'_>) -> Result<SessionView, SessionError> {
    Ok(desk.view().await)
}

#[tauri::command]
pub async fn choose_mode<R: Runtime>(
    app: AppHandle<R>,
    desk: Desk<'_>,
    mode: Mode,
    live_base_url: Option<String>,
) -> Result<SessionView, SessionError> {
    let view = desk.choose_mode(mode, live_base_url.as_deref()).await?;
    follow_session(&app).await;
    Ok(view)
}

#[tauri::command]
pub async fn dismiss_notice(desk: Desk<'_>) -> Result<SessionView, SessionError> {
    Ok(desk.dismiss_notice().await)
}

#[tauri::command]
pub async fn retry_keyring<R: Runtime>(
    app: AppHandle<R>,
    desk: Desk<'_>,
) -> Result<SessionView, SessionError> {
    let view = desk.retry_keyring().await;
    follow_session(&app).await;
    Ok(view)
}

/// The one answer that carries the API key: the page shows it once, for copying.
#[derive(Serialize)]
pub struct NewAccount {
    pub agent_id: String,
    pub api_key: String,
    pub session: SessionView,
}

#[tauri::command]
pub async fn register<R: Runtime>(
    app: AppHandle<R>,
    desk: Desk<'_>,
    form: NewAgent,
) -> Result<NewAccount, SessionError> {
    // Only a form that would be sent may use up one of the hour's five registrations.
    atelier_core::validate::new_agent(&form)?;
    let watching = app.state::<Arc<Watching>>();
    watching.spend(desk.mode().await?, CallKind::Register)?;
    let registered = desk.register(&form).await?;
    follow_session(&app).await;
    Ok(NewAccount {
        agent_id: registered.agent_id,
        api_key: registered.api_key.expose_secret().to_owned(),
        session: registered.view,
    })
}

#[tauri::command]
pub async fn sign_in<R: Runtime>(
    app: AppHandle<R>,
    desk: Desk<'_>,
    agent_id: String,
    api_key: String,
) -> Result<SessionView, SessionError> {
    let view = desk.sign_in(&agent_id, &api_key).await?;
    follow_session(&app).await;
    Ok(view)
}

#[tauri::command]
pub async fn sign_out<R: Runtime>(
    app: AppHandle<R>,
    desk: Desk<'_>,
) -> Result<SessionView, SessionError> {
    let view = desk.sign_out().await?;
    follow_session(&app).await;
    Ok(view)
}
