//! The Tauri shell of Atelier Desk. Everything with logic lives in `atelier-core`; this
//! crate wires it to a window: commands are thin adapters that translate arguments and
//! errors, nothing more.

pub mod commands;

use std::path::PathBuf;
use std::sync::Arc;

use atelier_core::secrets::{KeyStore, OsKeyring};
use atelier_core::session::{Session, SessionPaths};
use tauri::{AppHandle, Builder, Manager, Runtime};

/// The name the API key is filed under in the system keyring.
pub const KEYRING_SERVICE: &str = "Atelier Desk";

/// What differs between the real app and a test build of it.
pub struct Setup {
    pub keys: Arc<dyn KeyStore>,
    /// Where settings and practice data go; the platform's app directories when `None`.
    pub data_root: Option<PathBuf>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup { keys: Arc::new(OsKeyring::new(KEYRING_SERVICE)), data_root: None }
    }
}

/// Registers everything the app needs on any runtime, so tests can build the same app on
/// Tauri's mock runtime without a display.
pub fn app<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    // Keep in step with build.rs, which makes one permission per command.
    builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::catalog,
        commands::check_form,
        commands::session,
        commands::choose_mode,
        commands::dismiss_notice,
        commands::retry_keyring,
        commands::register,
        commands::sign_in,
        commands::sign_out,
        commands::profile,
        commands::update_profile,
        commands::set_payout_wallet,
        commands::reset_payout_wallet,
        commands::services,
        commands::create_service,
        commands::update_service,
        commands::deactivate_service,
    ])
}

/// Restores the session (settings, keyring, practice marketplace) and hands it to the
/// commands. Reading the keyring and starting the practice marketplace take milliseconds,
/// and the page needs the session from its first call, so this runs before the window loads.
pub fn init<R: Runtime>(app: &AppHandle<R>, setup: &Setup) -> tauri::Result<()> {
    let paths = match &setup.data_root {
        Some(root) => SessionPaths {
            settings_file: root.join("settings.json"),
            practice_data: root.join("practice-marketplace.json"),
        },
        None => SessionPaths {
            settings_file: app.path().app_config_dir()?.join("settings.json"),
            practice_data: app.path().app_data_dir()?.join("practice-marketplace.json"),
        },
    };
    let session = tauri::async_runtime::block_on(Session::open(paths, setup.keys.clone()));
    app.manage(Arc::new(session));
    Ok(())
}

pub fn run() {
    let setup = Setup::default();
    app(tauri::Builder::default())
        .setup(move |app| Ok(init(app.handle(), &setup)?))
        .run(tauri::generate_context!())
        .expect("Atelier Desk could not start its window");
}

#[cfg(test)]
mod tests;
