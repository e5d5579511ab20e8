fn main() {
    // Listing the app's own commands makes Tauri generate a permission for each, so the
    // capability file can allow exactly these and nothing else.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(&["app_info"])),
    )
    .expect("failed to run tauri-build");
}
