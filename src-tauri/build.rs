include!("src/commands/names.rs");

fn main() {
    // Listing the app's own commands makes Tauri generate a permission for each, so the
    // capability file can allow exactly these and nothing else.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
