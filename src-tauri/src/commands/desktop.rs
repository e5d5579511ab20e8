use std::collections::BTreeMap;

use atelier_core::error::PageError;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::AutoLaunchManager;

/// What can go wrong between the page and the desktop around it.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    #[error("Starting with your computer isn't available in this copy of Atelier Desk.")]
    NoAutostart,
    #[error("Couldn't change whether Atelier Desk starts when you log in ({0}). Check that your home folder is writable.")]
    Autostart(String),
}

impl PageError for DesktopError {
    fn code(&self) -> &'static str {
        match self {
            DesktopError::NoAutostart => "autostart_unavailable",
            DesktopError::Autostart(_) => "autostart_failed",
        }
    }
}

atelier_core::serialize_as_page_error!(DesktopError);

fn autostart<R: Runtime>(
    app: &AppHandle<R>,
) -> Result<tauri::State<'_, AutoLaunchManager>, DesktopError> {
    app.try_state::<AutoLaunchManager>()
        .ok_or(DesktopError::NoAutostart)
}

/// Whether the app starts (in the background) when the creator logs in. Read from the
/// desktop itself every time: the creator may have changed it in their system's settings.
#[tauri::command]
pub fn start_on_login<R: Runtime>(app: AppHandle<R>) -> Result<bool, DesktopError> {
    autostart(&app)?
        .is_enabled()
        .map_err(|e| DesktopError::Autostart(e.to_string()))
}

#[tauri::command]
pub fn set_start_on_login<R: Runtime>(
    app: AppHandle<R>,
    enabled: bool,
) -> Result<bool, DesktopError> {
    let manager = autostart(&app)?;
    let done = if enabled {
        manager.enable()
    } else {
        manager.disable()
    };
    done.map_err(|e| DesktopError::Autostart(e.to_string()))?;
    manager
        .is_enabled()
        .map_err(|e| DesktopError::Autostart(e.to_string()))
}

/// The page has painted its first screen: say so on standard error, where the start-up
/// benchmark and the package smoke test wait for it. `page_ms` is how long the page itself
/// took, from the start of its navigation; `marks`, when the page got its parts (ms into
/// the page), are said only with `ATELIER_TRACE_STARTUP=1` (BENCHMARKS.md, the page's time).
#[tauri::command]
pub fn page_ready(page_ms: Option<f64>, marks: Option<BTreeMap<String, f64>>) {
    eprintln!("{}", crate::desktop::ready_line(page_ms));
    for (mark, ms) in marks.iter().flatten().take(16) {
        crate::desktop::trace(&format!("page: {:.40} at {ms:.0} ms into the page,", mark));
    }
}
