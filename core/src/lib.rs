//! The part of Atelier Desk that does not know it lives in a window: the running [`desk`]
//! (session, rate ledgers, order watcher, kept order list, one stream of news), the API
//! client and its models, input validation, the keyring, settings, and the sandbox
//! marketplace used by Practice mode and the tests. Nothing here depends on Tauri.

pub mod alerts;
pub mod base_url;
pub mod client;
pub mod desk;
pub mod earnings;
pub mod error;
pub mod forms;
pub mod json_file;
pub mod linkcheck;
pub mod models;
pub mod sandbox;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod validate;
pub mod watcher;
