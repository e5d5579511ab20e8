//! Commands the page may invoke (see docs/commands.md). Each one only adapts: arguments in,
//! one call into the running [`Desk`](atelier_core::desk::Desk), the answer or a
//! `SessionError` out. No logic lives here.
//!
//! Convention: the state a command needs comes first among its arguments, so the start-up
//! test (`tests.rs`) reaches it even when called without the page's arguments.

mod account;
mod app;
mod desktop;
mod earnings;
mod names;
mod practice;
mod readiness;
mod services;
mod session;
mod watch;

pub use account::*;
pub use app::*;
pub use desktop::*;
pub use earnings::*;
pub use names::COMMANDS;
pub use practice::*;
pub use readiness::*;
pub use services::*;
pub use session::*;
pub use watch::*;

/// The running desk, as Tauri hands it to commands: the one piece of state the app manages.
pub type DeskState<'a> = tauri::State<'a, atelier_core::desk::Desk>;
