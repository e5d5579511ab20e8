//! Commands the page may invoke (see docs/commands.md). Each one only adapts: arguments in,
//! a call into `atelier-core`, the answer or a `SessionError` out. No logic lives here.

mod account;
mod app;
mod desktop;
mod services;
mod session;
mod watch;

pub use account::*;
pub use app::*;
pub use desktop::*;
pub use services::*;
pub use session::*;
pub use watch::*;

use std::sync::Arc;

use atelier_core::session::Session;

/// The session as Tauri hands it to commands.
pub type Desk<'a> = tauri::State<'a, Arc<Session>>;

/// After anything that changes who is signed in where, the watcher follows.
async fn follow_session<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    use tauri::Manager;
    let session = app.state::<Arc<Session>>().inner().clone();
    let watching = app.state::<Arc<crate::watch::Watching>>().inner().clone();
    watching.sync(app, &session).await;
}
