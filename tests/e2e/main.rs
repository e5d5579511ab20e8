//! End to end: the built app in a real (virtual) window, driven through WebDriver.
//! Run through the private desktop session:
//!
//!     cargo build -p atelier-desk
//!     scripts/e2e-session cargo test -p atelier-tests --test e2e
//!
//! See README.md beside this file.

mod session;

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
