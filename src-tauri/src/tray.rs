//! The tray icon: the app keeps watching for orders after its window is closed, and this
//! is how the creator reaches it again, checks now, pauses, or quits for real.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime, WebviewWindowBuilder};

use crate::watch::Watching;

pub const OPEN: &str = "open";
pub const CHECK_NOW: &str = "check-now";
pub const PAUSE: &str = "pause";
pub const QUIT: &str = "quit";

pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let pause = MenuItem::with_id(app, PAUSE, "Pause watching", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, OPEN, "Open Atelier Desk", true, None::<&str>)?,
            &MenuItem::with_id(app, CHECK_NOW, "Check for orders now", true, None::<&str>)?,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id("atelier-desk")
        .tooltip("Atelier Desk")
        .menu(&menu);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.on_menu_event(move |app, event| match event.id().as_ref() {
        OPEN => show_main_window(app),
        CHECK_NOW => app.state::<Watching>().check_now(),
        PAUSE => {
            let paused = app.state::<Watching>().toggle_pause();
            let _ = pause.set_text(if paused {
                "Resume watching"
            } else {
                "Pause watching"
            });
        }
        QUIT => app.exit(0),
        _ => {}
    })
    .build(app)?;
    Ok(())
}

/// Brings the window back, re-creating it if it was closed (closing frees WebKit's memory
/// while the watcher carries on).
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    if let Some(config) = app.config().app.windows.iter().find(|w| w.label == "main") {
        if let Ok(window) = WebviewWindowBuilder::from_config(app, config).and_then(|b| b.build()) {
            let _ = window.set_focus();
        }
    }
}
