fn main() {
    // Listing the app's own commands makes Tauri generate a permission for each, so the
    // capability file can allow exactly these and nothing else.
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_info",
            "catalog",
            "check_form",
            "session",
            "choose_mode",
            "dismiss_notice",
            "retry_keyring",
            "register",
            "sign_in",
            "sign_out",
            "profile",
            "update_profile",
            "set_payout_wallet",
            "reset_payout_wallet",
            "services",
            "create_service",
            "update_service",
            "deactivate_service",
            "watch_status",
            "orders",
            "check_now",
            "pause_watching",
            "resume_watching",
            "deliver",
            "guess_media_type",
            "simulate_order",
            "preferences",
            "set_preferences",
            "start_on_login",
            "set_start_on_login",
            "page_ready",
        ]),
    ))
    .expect("failed to run tauri-build");
}
