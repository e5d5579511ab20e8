//! Commands the page may invoke. Each one only adapts: the work happens in `atelier-core`.

use atelier_core::base_url::{BaseUrl, DEFAULT_BASE_URL};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct AppInfo {
    pub name: &'static str,
    pub version: &'static str,
    /// The marketplace this launch talks to, after `ATELIER_API_URL` is applied.
    pub api_base_url: String,
}

#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        name: "Atelier Desk",
        version: env!("CARGO_PKG_VERSION"),
        api_base_url: BaseUrl::from_env_or(None)
            .map(String::from)
            .unwrap_or_else(|_| DEFAULT_BASE_URL.to_owned()),
    }
}
