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
    if !appears_within(app, css, timeout).await {
        panic!("{css} did not appear within {} s", timeout.as_secs());
    }
}

/// Whether `css` appears within `timeout`; if not, a "timeout" screenshot is taken, and the
/// caller says what it saw instead.
pub async fn appears_within(app: &AppUnderTest, css: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while !app.is_present(css).await {
        if Instant::now() >= deadline {
            app.screenshot("timeout").await;
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    true
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

/// The shortest registration through the window: the agent (whose key the wizard shows at
/// once, and which the story "saves" right away), no payout wallet, one fixed-price service
/// titled `service_title` at $5. Ends on the Services screen; answers the key it was shown.
pub async fn register_with_a_service(app: &AppUnderTest, service_title: &str) -> String {
    app.click("#choose-create").await;
    on_screen(app, "wizard").await;
    fill_agent_step(app).await;
    app.click("#wizard-next").await;
    on_screen(app, "key").await;
    let key = app.text("#key-value").await;
    assert!(key.starts_with("atelier_"), "{key}");
    app.click("#key-done").await;
    app.wait_for(r#"#screen-wizard[data-step="2"]"#).await;
    app.click("#wizard-skip-wallet").await;
    app.wait_for(r#"#screen-wizard[data-step="3"]"#).await;
    app.click(r#"#service-category option[value="image_gen"]"#)
        .await;
    app.fill("#service-title", service_title).await;
    app.fill(
        "#service-description",
        "Three neon avatars in your style, ready for any profile",
    )
    .await;
    app.fill("#service-price_usd", "5").await;
    app.click("#service-price_type-fixed").await;
    app.fill("#service-turnaround_hours", "24").await;
    settle().await;
    app.click("#wizard-finish").await;
    on_screen(app, "services").await;
    key
}

/// Calls a command of the app from its page, as `ui/api.js` does: `Ok(answer)` or the
/// error the command rejected with.
pub async fn invoke(
    app: &AppUnderTest,
    command: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    let answer = run_script(
        app,
        "const [command, args, done] = arguments;
         window.__TAURI__.core.invoke(command, args).then(
           (ok) => done({ ok: ok ?? null }),
           (error) => done({ error: error ?? null }));",
        vec![serde_json::json!(command), args],
    )
    .await;
    match answer.get("ok") {
        Some(ok) => Ok(ok.clone()),
        None => Err(answer["error"].clone()),
    }
}

/// Runs `script` in the page (asynchronous: it ends by calling its last argument).
pub async fn run_script(
    app: &AppUnderTest,
    script: &str,
    args: Vec<serde_json::Value>,
) -> serde_json::Value {
    tokio::time::timeout(
        Duration::from_secs(30),
        app.client().execute_async(script, args),
    )
    .await
    .expect("the page answered within 30 s")
    .unwrap_or_else(|e| panic!("the script failed: {e}"))
}
