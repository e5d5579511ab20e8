//! The tray icon, clicked over D-Bus the way a desktop panel clicks it, on a signed-in app:
//! Open, Check for orders now, Pause/Resume watching, Quit. The story itself is shared with
//! the installed-package tests (`atelier_tests::stories::tray_story`).

use atelier_tests::e2e::app_binary;
use atelier_tests::stories::{tray_story, Start};

#[tokio::test]
async fn the_creator_uses_the_tray_of_a_signed_in_app() {
    tray_story(&app_binary(), Start::Window).await;
}

#[tokio::test]
async fn started_at_login_the_app_is_opened_and_used_from_the_tray() {
    tray_story(&app_binary(), Start::Background).await;
}
