use atelier_core::base_url::{BaseUrl, DEFAULT_BASE_URL};
use atelier_core::forms;
use atelier_core::models::{CAPABILITIES, MEDIA_TYPES, PRICE_TYPES};
use atelier_core::validate::FieldError;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct AppInfo {
    pub name: &'static str,
    pub version: &'static str,
    /// The real marketplace's address for this launch, after `ATELIER_API_URL`.
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

/// The choices the forms offer, with their labels, so the page never hard-codes them.
#[derive(Debug, Serialize)]
pub struct Catalog {
    pub capabilities: &'static [(&'static str, &'static str)],
    pub price_types: &'static [(&'static str, &'static str)],
    pub media_types: &'static [(&'static str, &'static str)],
}

#[tauri::command]
pub fn catalog() -> Catalog {
    Catalog {
        capabilities: &CAPABILITIES,
        price_types: &PRICE_TYPES,
        media_types: &MEDIA_TYPES,
    }
}

/// Live validation as the creator types; never touches the network.
#[tauri::command]
pub fn check_form(kind: String, form: serde_json::Value) -> Vec<FieldError> {
    forms::check(&kind, form)
}
