//! The tray icon: the app keeps watching for orders after its window is closed, and this
//! is how the creator reaches it again, checks now, pauses, or quits for real.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use crate::desktop::show_main_window;

use crate::watch::Watching;

pub const OPEN: &str = "open";
pub const CHECK_NOW: &str = "check-now";
pub const PAUSE: &str = "pause";
pub const QUIT: &str = "quit";

const TRAY_ICON: &[u8] = include_bytes!("../../icons/tray@2x.png");

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
    // The monochrome glyph reads on light and dark panels alike; the colour icon does not.
    tray = tray
        .icon(Image::from_bytes(TRAY_ICON)?)
        .icon_as_template(true);
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
