//! The app built on Tauri's mock runtime: no display needed.

use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

fn invoke(command: &str) -> Result<serde_json::Value, serde_json::Value> {
    let app = crate::app(mock_builder())
        .build(mock_context(noop_assets()))
        .expect("the app builds on the mock runtime");
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("a mock window");
    get_ipc_response(
        &window,
        InvokeRequest {
            cmd: command.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<serde_json::Value>().unwrap())
}

#[test]
fn the_window_can_ask_for_the_app_name_and_version() {
    let info = invoke("app_info").expect("app_info answers");
    assert_eq!(info["name"], "Atelier Desk");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert!(info["api_base_url"].as_str().unwrap().starts_with("http"));
}
