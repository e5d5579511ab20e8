//! The Tauri shell of Atelier Desk. Everything with logic lives in `atelier-core`; this
//! crate wires it to a window: commands are thin adapters that translate arguments and
//! errors, the watcher's news becomes notifications, and the tray keeps the app reachable.

pub mod commands;
pub mod desktop;
mod platform;
mod tray;
pub mod watch;

use std::path::PathBuf;
use std::sync::Arc;

use atelier_core::secrets::{KeyStore, OsKeyring};
use atelier_core::session::{Session, SessionPaths};
use tauri::{AppHandle, Builder, Manager, RunEvent, Runtime};

use crate::watch::Watching;

/// The name the API key is filed under in the system keyring.
pub const KEYRING_SERVICE: &str = "Atelier Desk";

/// What differs between the real app and a test build of it.
pub struct Setup {
    pub keys: Arc<dyn KeyStore>,
    /// Where settings and app data go; the platform's app directories when `None`.
    pub data_root: Option<PathBuf>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            keys: Arc::new(OsKeyring::new(KEYRING_SERVICE)),
            data_root: None,
        }
    }
}

/// Registers everything the app needs on any runtime, so tests can build the same app on
/// Tauri's mock runtime without a display.
pub fn app<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    // Keep in step with build.rs, which makes one permission per command.
    builder
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(tauri::generate_handler![
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
            commands::watch_status,
            commands::orders,
            commands::check_now,
            commands::pause_watching,
            commands::resume_watching,
            commands::deliver,
            commands::guess_media_type,
            commands::simulate_order,
            commands::preferences,
            commands::set_preferences,
            commands::start_on_login,
            commands::set_start_on_login,
            commands::page_ready,
        ])
}

/// Restores the session (settings, keyring, practice marketplace), hands it to the
/// commands and starts watching for orders. Reading the keyring and starting the practice
/// marketplace take milliseconds, and the page needs the session from its first call.
pub fn init<R: Runtime>(app: &AppHandle<R>, setup: &Setup) -> tauri::Result<()> {
    let (config_dir, data_dir) = match &setup.data_root {
        Some(root) => (root.clone(), root.clone()),
        None => (app.path().app_config_dir()?, app.path().app_data_dir()?),
    };
    let paths = SessionPaths {
        settings_file: config_dir.join("settings.json"),
        practice_data: data_dir.join("practice-marketplace.json"),
    };
    let session = Arc::new(tauri::async_runtime::block_on(Session::open(
        paths,
        setup.keys.clone(),
    )));
    let watching = Arc::new(Watching::new(data_dir.join("watch")));
    app.manage(session.clone());
    app.manage(watching.clone());
    let app = app.clone();
    tauri::async_runtime::spawn(async move { watching.sync(&app, &session).await });
    Ok(())
}

pub fn run() {
    desktop::mark_launch();
    // Before any thread or GTK exists: setting the environment later is racy.
    for (key, value) in platform::webkit_workarounds(|k| std::env::var(k).ok()) {
        std::env::set_var(key, value);
    }
    let quit_signals = desktop::catch_quit_signals();
    let background = desktop::started_in_background(std::env::args_os());
    let context = tauri::generate_context!();
    let instance = desktop::instance_id(
        &context.config().identifier,
        desktop::data_home(|k| std::env::var(k).ok()).as_deref(),
    );
    let setup = Setup::default();
    desktop::trace("main");
    // The single-instance plugin goes first: a second launch must hand over to the running
    // copy before anything else (keyring, practice marketplace, watcher) starts.
    let builder = tauri::Builder::default()
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance)
                .callback(|app, _args, _cwd| desktop::show_main_window(app))
                .build(),
        )
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args([desktop::BACKGROUND_ARG])
                .build(),
        );
    app(builder)
        .setup(move |app| {
            desktop::trace("plugins ready");
            // The window is not in the config's start-up list: a start on login keeps it
            // closed until the creator opens it from the tray, the menu or a notification.
            // It is made first so WebKit starts its processes while the session opens; the
            // page cannot call a command before this function returns.
            if !background {
                desktop::show_main_window(app.handle());
                desktop::trace("window created");
            }
            init(app.handle(), &setup)?;
            desktop::trace("session open");
            tray::install(app.handle())?;
            desktop::trace("tray installed");
            quit_signals.quit_app_on_arrival(app.handle());
            Ok(())
        })
        .build(context)
        .expect("Atelier Desk could not start its window")
        .run(|app, event| {
            // Closing the window must not stop the watcher: only Quit (an explicit exit
            // code) ends the app.
            match event {
                RunEvent::ExitRequested {
                    code: None, api, ..
                } => api.prevent_exit(),
                RunEvent::Exit => {
                    let watching = app.state::<Arc<Watching>>().inner().clone();
                    tauri::async_runtime::block_on(watching.stop());
                }
                _ => {}
            }
        });
}

#[cfg(test)]
mod tests;
