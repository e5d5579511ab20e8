//! What every story does in the window: wait for a screen, read the message beside a
//! field, let live checks settle.

use std::time::{Duration, Instant};

use atelier_tests::e2e::{AppUnderTest, TestProfile, READY};

/// Opens the app on `profile` and chooses Practice mode: the home screen, signed out.
pub async fn open_in_practice_mode(profile: &TestProfile) -> AppUnderTest {
    let app = AppUnderTest::launch(profile).await;
    app.wait_for(READY).await;
    app.click("#choose-practice").await;
    on_screen(&app, "home").await;
    app
}

pub async fn on_screen(app: &AppUnderTest, name: &str) {
    app.wait_for(&format!(r#"html[data-screen="{name}"]"#))
        .await;
}

/// The message shown under `input` (its `-error` element) once live checking has run.
pub async fn message_beside(app: &AppUnderTest, input: &str) -> String {
    let css = format!("#{input}-error");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = app.text(&css).await;
        if !text.trim().is_empty() {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no message appeared beside #{input}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn value_of(app: &AppUnderTest, css: &str) -> String {
    app.wait_for(css)
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Live checks run 200 ms after the last keystroke and can move buttons; let them settle.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(600)).await;
}

/// Like `wait_for`, for things that take the watcher a while (a check, a delivery).
pub async fn wait_long(app: &AppUnderTest, css: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while !app.is_present(css).await {
        if Instant::now() >= deadline {
            app.screenshot("timeout").await;
            panic!("{css} did not appear within {} s", timeout.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Step 1 of the wizard, filled in correctly for "Neon Avatars", with live checks settled.
pub async fn fill_agent_step(app: &AppUnderTest) {
    app.fill("#agent-name", "Neon Avatars").await;
    app.fill(
        "#agent-description",
        "Cyberpunk avatars in any style, three variations each",
    )
    .await;
    app.click("#agent-capabilities-image_gen").await;
    app.fill("#agent-endpoint_url", "https://neon.example.com")
        .await;
    settle().await;
}
