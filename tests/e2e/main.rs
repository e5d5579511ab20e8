//! End to end: the built app in a real (virtual) window, driven through WebDriver.
//! Run through the private desktop session:
//!
//!     cargo build -p atelier-desk
//!     scripts/e2e-session cargo test -p atelier-tests --test e2e
//!
//! See README.md beside this file.

mod alerts;
mod deadlines;
mod desktop;
mod earnings;
mod faults;
mod hostile;
mod inbox_bench;
mod onboarding;
mod orders;
mod practice_client;
mod readiness;
mod session;
mod story;
mod tray;

use atelier_tests::e2e::{AppUnderTest, TestProfile, READY};

#[tokio::test]
async fn the_app_opens_and_shows_its_name_and_version() {
    let profile = TestProfile::new().await;
    let app = AppUnderTest::launch(&profile).await;

    app.wait_for(READY).await;
    assert_eq!(app.text("#app-name").await, "Atelier Desk");
    assert_eq!(
        app.text("#app-version").await,
        format!("v{}", env!("CARGO_PKG_VERSION"))
    );
    app.screenshot("welcome").await;

    app.quit().await;
}

#[tokio::test]
async fn the_app_opens_again_with_the_same_profile() {
    let profile = TestProfile::new().await;
    let app = AppUnderTest::launch(&profile).await;
    app.wait_for(READY).await;
    std::fs::create_dir_all(profile.data_dir()).unwrap();
    std::fs::write(profile.data_dir().join("left-by-the-test"), "still here").unwrap();

    let app = app.restart().await;
    app.wait_for(READY).await;
    assert_eq!(app.text("#app-name").await, "Atelier Desk");
    assert_eq!(
        std::fs::read_to_string(profile.data_dir().join("left-by-the-test")).unwrap(),
        "still here"
    );
    app.quit().await;
}

#[tokio::test]
async fn a_story_that_fails_leaves_no_process_behind() {
    let (report, processes) = tokio::sync::oneshot::channel();
    let story = tokio::spawn(async move {
        let profile = TestProfile::new().await;
        let app = AppUnderTest::launch(&profile).await;
        app.wait_for(READY).await;
        report.send(app.processes()).unwrap();
        panic!("this story fails on purpose, before quitting the app");
    });
    assert!(story.await.unwrap_err().is_panic());

    let processes = processes.await.unwrap();
    assert!(
        processes.len() >= 3,
        "tauri-driver, WebKitWebDriver and the app at least: {processes:?}"
    );
    assert_eq!(processes.still_running(), Vec::<u32>::new());
}
