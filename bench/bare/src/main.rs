//! The bare app of the start-up benchmark (bench/app): what any Tauri v2 window costs here.
//! It does what Atelier Desk does before its first screen and nothing else: the same WebKit
//! setting, the same plugin, one window, and the same ready line from the same moment.

use std::sync::OnceLock;
use std::time::Instant;

static LAUNCHED: OnceLock<Instant> = OnceLock::new();

/// Called by the page from a timeout queued inside its first animation frame (as
/// Atelier Desk's `page_ready`), i.e. just after the first frame is painted.
#[tauri::command]
fn page_ready(page_ms: Option<f64>) {
    let since = LAUNCHED.get().map(|t| t.elapsed().as_millis()).unwrap_or(0);
    match page_ms {
        Some(page) => eprintln!(
            "Bare Tauri app: window ready, {since} ms after launch ({page:.0} ms of it in the page)"
        ),
        None => eprintln!("Bare Tauri app: window ready, {since} ms after launch"),
    }
}

/// Never called by the page: it only puts the design card's HTTP client and keyring in the
/// binary, so the package-size floor holds what any app built on that card ships.
#[tauri::command]
async fn design_card(url: String) -> Result<usize, String> {
    let secret = keyring::Entry::new("atelier-bare", "probe")
        .and_then(|entry| entry.get_password())
        .unwrap_or_default();
    let body = reqwest::Client::new()
        .get(url)
        .bearer_auth(secret)
        .send()
        .await
        .and_then(|response| response.error_for_status())
        .map_err(|e| e.to_string())?
        .json::<serde_json::Value>()
        .await
        .map_err(|e| e.to_string())?;
    Ok(body.to_string().len())
}

fn main() {
    LAUNCHED.get_or_init(Instant::now);
    // As Atelier Desk (src-tauri/src/platform.rs): before any thread or GTK exists, and only
    // when the user has not chosen.
    if cfg!(target_os = "linux") && std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(tauri::generate_handler![page_ready, design_card])
        .run(tauri::generate_context!())
        .expect("the bare app could not start its window");
}
