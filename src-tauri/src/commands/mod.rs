//! Commands the page may invoke (see docs/commands.md). Each one only adapts: arguments in,
//! a call into `atelier-core`, the answer or a `SessionError` out. No logic lives here.

mod account;
mod app;
mod services;
mod session;

pub use account::*;
pub use app::*;
pub use services::*;
pub use session::*;

use std::sync::Arc;

use atelier_core::session::Session;

/// The session as Tauri hands it to commands.
pub type Desk<'a> = tauri::State<'a, Arc<Session>>;
