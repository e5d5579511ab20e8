//! The Tauri shell of Atelier Desk. Everything with logic lives in `atelier-core`; this
//! crate wires it to a window: commands are thin adapters that translate arguments and
//! errors, the watcher's news becomes notifications, and the tray keeps the app reachable.

pub mod commands;
pub mod desktop;
mod platform;
pub mod tray;
pub mod watch;

use std::path::PathBuf;
use std::sync::Arc;

use atelier_core::desk::{Desk, DeskConfig};
use atelier_core::secrets::{KeyStore, OsKeyring};
use tauri::{App, Builder, Manager, RunEvent, Runtime};

/// The name the API key is filed under in the system keyring.
pub const KEYRING_SERVICE: &str = "Atelier Desk";

/// What differs between one start of the app and another: the real app, a start on login,
/// or a test build on Tauri's mock runtime.
pub struct Setup {
    pub keys: Arc<dyn KeyStore>,
    /// Where settings and app data go; the platform's app directories when `None`.
    pub data_root: Option<PathBuf>,
    /// Open the window at start (not when started on login).
    pub window: bool,
    /// The parts that need a real desktop: the tray icon, and quitting on SIGTERM/SIGINT/SIGHUP.
    pub desktop: Option<desktop::QuitSignals>,
}

impl Setup {
    /// The app as a creator starts it, from the menu (`background: false`) or on login.
    pub fn installed(background: bool, quit_signals: desktop::QuitSignals) -> Setup {
        Setup {
            keys: Arc::new(OsKeyring::new(KEYRING_SERVICE)),
            data_root: None,
            window: !background,
            desktop: Some(quit_signals),
        }
    }
}

/// Every command of `commands::COMMANDS` (a macro: Tauri's handler is built by one).
macro_rules! handler {
    () => {
        tauri::generate_handler![
            crate::commands::app_info,
            crate::commands::catalog,
            crate::commands::check_form,
            crate::commands::session,
            crate::commands::choose_mode,
            crate::commands::set_live_address,
            crate::commands::dismiss_notice,
            crate::commands::retry_keyring,
            crate::commands::register,
            crate::commands::sign_in,
            crate::commands::sign_out,
            crate::commands::profile,
            crate::commands::update_profile,
            crate::commands::set_payout_wallet,
            crate::commands::reset_payout_wallet,
            crate::commands::services,
            crate::commands::create_service,
            crate::commands::update_service,
            crate::commands::deactivate_service,
            crate::commands::watch_status,
            crate::commands::orders,
            crate::commands::check_now,
            crate::commands::pause_watching,
            crate::commands::resume_watching,
            crate::commands::deliver,
            crate::commands::guess_media_type,
            crate::commands::simulate_order,
            crate::commands::play_client,
            crate::commands::advance_practice_clock,
            crate::commands::check_link,
            crate::commands::waiting_alerts,
            crate::commands::dismiss_alerts,
            crate::commands::earnings,
            crate::commands::export_orders,
            crate::commands::open_payout,
            crate::commands::preferences,
            crate::commands::set_preferences,
            crate::commands::start_on_login,
            crate::commands::set_start_on_login,
            crate::commands::look_again,
            crate::commands::readiness,
            crate::commands::send_test_notification,
            crate::commands::page_ready,
        ]
    };
}
pub(crate) use handler;

/// Everything the app is, on any runtime: plugins, commands, and the start-up that opens
/// the desk and hands it to them. `run()` and the tests build the app through here, so the
/// tests see exactly the state the real app manages.
pub fn run_app<R: Runtime>(builder: Builder<R>, setup: Setup) -> Builder<R> {
    builder
        .plugin(tauri_plugin_notification::init())
        // Used from Rust only (commands/earnings.rs); the page has neither permission.
        .plugin(tauri_plugin_dialog::init())
        .plugin(
            tauri_plugin_opener::Builder::new()
                .open_js_links_on_click(false)
                .build(),
        )
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args([desktop::BACKGROUND_ARG])
                .build(),
        )
        .invoke_handler(crate::handler!())
        .setup(move |app| {
            start(app, setup)?;
            Ok(())
        })
}

/// Opens the window (first, so WebKit starts its processes while the session opens), the
/// desk (settings, keyring, practice marketplace, watcher: milliseconds, and the page
/// needs it from its first call), then the tray and the quit signals.
fn start<R: Runtime>(app: &mut App<R>, setup: Setup) -> tauri::Result<()> {
    desktop::trace("plugins ready");
    if setup.window {
        desktop::show_main_window(app.handle());
        desktop::trace("window created");
    }
    let (config_dir, data_dir) = match &setup.data_root {
        Some(root) => (root.clone(), root.clone()),
        None => (app.path().app_config_dir()?, app.path().app_data_dir()?),
    };
    let desk = tauri::async_runtime::block_on(Desk::open(DeskConfig {
        settings_file: config_dir.join("settings.json"),
        practice_data: data_dir.join("practice-marketplace.json"),
        watch_dir: data_dir.join("watch"),
        keys: setup.keys,
    }));
    watch::carry_news(app.handle(), &desk);
    app.manage(desk);
    desktop::trace("session open");
    if let Some(quit_signals) = setup.desktop {
        tray::install(app.handle())?;
        desktop::trace("tray installed");
        quit_signals.quit_app_on_arrival(app.handle());
    }
    Ok(())
}

pub fn run() {
    desktop::mark_launch();
    // Before any thread or GTK exists: setting the environment later is racy.
    for (key, value) in platform::webkit_workarounds(|k| std::env::var(k).ok()) {
        std::env::set_var(key, value);
    }
    let setup = Setup::installed(
        desktop::started_in_background(std::env::args_os()),
        desktop::catch_quit_signals(),
    );
    let context = tauri::generate_context!();
    let instance = desktop::instance_id(
        &context.config().identifier,
        desktop::data_home(|k| std::env::var(k).ok()).as_deref(),
    );
    desktop::trace("main");
    // The single-instance plugin goes first: a second launch must hand over to the running
    // copy before anything else (keyring, practice marketplace, watcher) starts.
    let builder = tauri::Builder::default().plugin(
        tauri_plugin_single_instance::Builder::new()
            .dbus_id(instance)
            .callback(|app, _args, _cwd| desktop::show_main_window(app))
            .build(),
    );
    run_app(builder, setup)
        .build(context)
        .expect("Atelier Desk could not start its window")
        .run(|app, event| match event {
            // Closing the window must not stop the watcher: only Quit (an explicit exit
            // code) ends the app.
            RunEvent::ExitRequested {
                code: None, api, ..
            } => api.prevent_exit(),
            RunEvent::Exit => {
                if let Some(desk) = app.try_state::<Desk>() {
                    tauri::async_runtime::block_on(desk.stop());
                }
            }
            _ => {}
        });
}

#[cfg(test)]
mod tests;
