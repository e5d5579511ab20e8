//! The tray icon: the app keeps watching for orders after its window is closed, and this
//! is how the creator reaches it again, checks now, pauses, or quits for real. When new
//! orders wait to be seen (no desktop notification showed them), the tray says how many:
//! in its tooltip ("Atelier Desk — 2 new orders waiting") and, because Linux tray icons
//! (AppIndicator) have no tooltip, in the label of its Open entry too.
//!
//! What a click does is [`on_menu`], a plain function of the app: the start-up test calls
//! it for every entry on the app as start-up builds it, so a click can never ask for
//! something start-up did not provide.

use atelier_core::desk::Desk;
use atelier_core::watcher::WatchStatus;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use crate::desktop::show_main_window;

pub const OPEN: &str = "open";
pub const CHECK_NOW: &str = "check-now";
pub const PAUSE: &str = "pause";
pub const QUIT: &str = "quit";
/// Every entry, in menu order.
pub const ENTRIES: [&str; 4] = [OPEN, CHECK_NOW, PAUSE, QUIT];

/// The tray icon's id.
const TRAY_ID: &str = "atelier-desk";

const PAUSE_LABEL: &str = "Pause watching";
const RESUME_LABEL: &str = "Resume watching";

const TRAY_ICON: &[u8] = include_bytes!("../../icons/tray@2x.png");

/// The entry whose label follows the watcher (Pause ↔ Resume).
struct PauseEntry<R: Runtime>(MenuItem<R>);

/// The entry whose label counts the orders waiting to be seen.
struct OpenEntry<R: Runtime>(MenuItem<R>);

pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let waiting = app.state::<Desk>().waiting_orders();
    let open = MenuItem::with_id(app, OPEN, open_label(waiting), true, None::<&str>)?;
    let pause = MenuItem::with_id(app, PAUSE, PAUSE_LABEL, true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &MenuItem::with_id(app, CHECK_NOW, "Check for orders now", true, None::<&str>)?,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?,
        ],
    )?;
    app.manage(PauseEntry(pause));
    app.manage(OpenEntry(open));
    TrayIconBuilder::with_id(TRAY_ID)
        .tooltip(tooltip(waiting))
        .menu(&menu)
        // The monochrome glyph reads on light and dark panels alike; the colour icon does not.
        .icon(Image::from_bytes(TRAY_ICON)?)
        .icon_as_template(true)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .build(app)?;
    Ok(())
}

/// What clicking the entry `id` does.
pub fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let desk = || app.state::<Desk>().inner().clone();
    match id {
        OPEN => show_main_window(app),
        CHECK_NOW => {
            let desk = desk();
            tauri::async_runtime::spawn(async move { desk.check_now().await });
        }
        // The label changes when the watcher says it paused (show_status), not before.
        PAUSE => {
            let desk = desk();
            tauri::async_runtime::spawn(async move { desk.toggle_pause().await });
        }
        QUIT => app.exit(0),
        _ => {}
    }
}

/// Keeps Pause/Resume in step with the watcher, whoever paused it (the tray or the page).
pub fn show_status<R: Runtime>(app: &AppHandle<R>, status: Option<&WatchStatus>) {
    // No tray in a test build or where the desktop has none: nothing to relabel.
    let Some(entry) = app.try_state::<PauseEntry<R>>() else {
        return;
    };
    let paused = status.is_some_and(|s| s.paused);
    let _ = entry
        .0
        .set_text(if paused { RESUME_LABEL } else { PAUSE_LABEL });
}

/// The tooltip: the app's name, and how many new orders wait to be seen.
pub fn tooltip(waiting: usize) -> String {
    format!("Atelier Desk{}", waiting_words(waiting))
}

/// The Open entry's label, with the same count.
pub fn open_label(waiting: usize) -> String {
    format!("Open Atelier Desk{}", waiting_words(waiting))
}

fn waiting_words(waiting: usize) -> String {
    match waiting {
        0 => String::new(),
        1 => " — 1 new order waiting".to_owned(),
        n => format!(" — {n} new orders waiting"),
    }
}

/// Keeps the tooltip and the Open entry in step with the alerts waiting to be seen.
pub fn show_waiting<R: Runtime>(app: &AppHandle<R>, waiting: usize) {
    // No tray in a test build or where the desktop has none: nothing to relabel.
    if let Some(entry) = app.try_state::<OpenEntry<R>>() {
        let _ = entry.0.set_text(open_label(waiting));
    }
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(tooltip(waiting)));
    }
}

#[cfg(test)]
mod tests {
    use super::{open_label, tooltip};

    #[test]
    fn the_tray_counts_the_orders_waiting_to_be_seen() {
        assert_eq!(tooltip(0), "Atelier Desk");
        assert_eq!(tooltip(1), "Atelier Desk — 1 new order waiting");
        assert_eq!(tooltip(2), "Atelier Desk — 2 new orders waiting");
        assert_eq!(open_label(0), "Open Atelier Desk");
        assert_eq!(open_label(2), "Open Atelier Desk — 2 new orders waiting");
    }
}
