//! The app against a marketplace that misbehaves at first (absurd and garbled 429s, a
//! captive portal, 500s): it stays up, and announces a paid order once the marketplace is
//! well again. The story is shared with the installed-package tests
//! (`atelier_tests::fault_story`).

use atelier_tests::e2e::app_binary;
use atelier_tests::fault_story::{absurd_rate_limit_story, faulty_marketplace_story};

#[tokio::test]
async fn the_app_rides_out_a_misbehaving_marketplace_and_then_announces_an_order() {
    faulty_marketplace_story(&app_binary()).await;
}

#[tokio::test]
async fn the_app_survives_a_429_asking_for_u64_max_seconds() {
    absurd_rate_limit_story(&app_binary()).await;
}
