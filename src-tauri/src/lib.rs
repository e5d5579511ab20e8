//! The Tauri shell of Atelier Desk. Everything with logic lives in `atelier-core`; this
//! crate wires it to a window: commands are thin adapters that translate arguments and
//! errors, nothing more.

mod commands;

use tauri::{Builder, Runtime};

/// Registers everything the app needs on any runtime, so tests can build the same app on
/// Tauri's mock runtime without a display.
pub fn app<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(tauri::generate_handler![commands::app_info])
}

pub fn run() {
    app(tauri::Builder::default())
        .run(tauri::generate_context!())
        .expect("Atelier Desk could not start its window");
}

#[cfg(test)]
mod tests;
