//! A creator who has never seen an API sets up shop in Practice mode, through the real
//! window, with the key kept in a real Secret Service keyring — and every form says, beside
//! the field, what is wrong with bad input. The key is shown the moment the agent exists,
//! before the payout wallet and the first service are even asked for.

use atelier_tests::e2e::{AppUnderTest, TestProfile, READY};

use crate::story::{
    fill_agent_step, message_beside, on_screen, open_in_practice_mode, settle, value_of,
};

const WALLET: &str = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";

#[tokio::test]
async fn a_creator_sets_up_shop_in_practice_mode_and_is_still_signed_in_after_a_restart() {
    let profile = TestProfile::named("onboarding").await;
    let app = AppUnderTest::launch(&profile).await;
    app.wait_for(READY).await;
    on_screen(&app, "welcome").await;
    app.screenshot("welcome").await;

    app.click("#choose-practice").await;
    on_screen(&app, "home").await;
    app.wait_for("#mode-banner.mode-practice").await;
    app.screenshot("practice-home").await;

    // Step 1: the agent. A one-letter name is refused beside the field, and kept.
    app.click("#choose-create").await;
    on_screen(&app, "wizard").await;
    app.fill("#agent-name", "N").await;
    settle().await;
    app.click("#wizard-next").await;
    assert!(message_beside(&app, "agent-name")
        .await
        .contains("at least 2"));
    assert_eq!(
        value_of(&app, "#agent-name").await,
        "N",
        "nothing typed is lost"
    );
    app.wait_for(r#"#screen-wizard[data-step="1"]"#).await;
    app.screenshot("wizard-agent-invalid").await;

    fill_agent_step(&app).await;
    app.screenshot("wizard-agent").await;
    assert_eq!(app.text("#wizard-next").await, "Create my agent");
    app.click("#wizard-next").await;

    // The key, once, right after registering: before the wallet step, whatever happens later.
    on_screen(&app, "key").await;
    assert!(
        !app.is_present("#wallet-payout_wallet").await && !app.is_present("#screen-wizard").await,
        "the key screen comes before the wallet step"
    );
    let key = app.text("#key-value").await;
    assert!(key.starts_with("atelier_"), "{key}");
    app.wait_for("#key-registered").await;
    app.wait_for("#key-copy").await;
    assert!(
        !app.is_present("#nav-inbox").await && !app.is_present("#mode-switch").await,
        "no way to wander off before the key is saved"
    );
    app.screenshot("key-once").await;
    app.click("#key-done").await;

    // Back in the wizard, at the wallet step; the key has left the page.
    on_screen(&app, "wizard").await;
    app.wait_for(r#"#screen-wizard[data-step="2"]"#).await;
    assert!(
        !app.client().source().await.unwrap().contains(&key),
        "the key left the page"
    );
    assert!(app.text("#wizard-status").await.contains("registered"));

    // Step 2: the payout wallet. Something that is not a Solana address is refused.
    app.fill("#wallet-payout_wallet", "my-wallet-0OIl").await;
    settle().await;
    app.click("#wizard-next").await;
    assert!(!message_beside(&app, "wallet-payout_wallet")
        .await
        .is_empty());
    app.screenshot("wizard-wallet-invalid").await;
    app.fill("#wallet-payout_wallet", WALLET).await;
    settle().await;
    app.screenshot("wizard-wallet").await;
    app.click("#wizard-next").await;
    app.wait_for(r#"#screen-wizard[data-step="3"]"#).await;

    // Step 3: the first service. A price with fractions of a cent is refused.
    app.click(r#"#service-category option[value="image_gen"]"#)
        .await;
    app.fill("#service-title", "Neon avatar pack").await;
    app.fill(
        "#service-description",
        "Three neon avatars in your style, ready for any profile",
    )
    .await;
    app.fill("#service-price_usd", "5.999").await;
    app.click("#service-price_type-fixed").await;
    app.fill("#service-turnaround_hours", "24").await;
    settle().await;
    app.click("#wizard-finish").await;
    assert!(message_beside(&app, "service-price_usd")
        .await
        .contains("two decimals"));
    app.screenshot("wizard-service-invalid").await;
    app.fill("#service-price_usd", "5").await;
    settle().await;
    app.screenshot("wizard-service").await;
    app.click("#wizard-finish").await;
    on_screen(&app, "services").await;
    app.wait_for("#service-list:not([aria-busy])").await;
    assert!(app.text("#service-list").await.contains("Neon avatar pack"));
    assert!(
        !app.client().source().await.unwrap().contains(&key),
        "the key left the page"
    );
    app.screenshot("services").await;

    // Edit the service: a too-short title is refused beside it; a new price is saved.
    app.click(r#"[id^="service-edit-"]"#).await;
    on_screen(&app, "service-form").await;
    app.fill("#service-title", "Av").await;
    settle().await;
    app.click("#service-save").await;
    assert!(message_beside(&app, "service-title")
        .await
        .contains("at least 3"));
    app.screenshot("service-edit-invalid").await;
    app.fill("#service-title", "Neon avatar pack").await;
    app.fill("#service-price_usd", "7.50").await;
    settle().await;
    app.click("#service-save").await;
    on_screen(&app, "services").await;
    app.wait_for("#service-list:not([aria-busy])").await;
    assert!(app.text("#service-list").await.contains("$7.50"));
    app.screenshot("service-edited").await;

    // The account: profile, payout wallet, key hint; a bad edit is refused beside the field.
    app.click("#nav-account").await;
    on_screen(&app, "account").await;
    app.wait_for("#payout-current").await;
    assert!(app.text("#payout-current").await.contains(&WALLET[..6]));
    assert!(app.text("#key-hint").await.starts_with("atelier_..."));
    app.screenshot("account").await;
    app.click("#profile-edit").await;
    app.fill("#profile-description", "Too short").await;
    settle().await;
    app.click("#profile-save").await;
    assert!(message_beside(&app, "profile-description")
        .await
        .contains("at least 10"));
    app.screenshot("profile-edit-invalid").await;
    app.click("#profile-cancel").await;

    app.click("#nav-settings").await;
    on_screen(&app, "settings").await;
    app.screenshot("settings").await;

    // Deactivate the service, after a confirmation saying it cannot be undone.
    app.click("#nav-services").await;
    on_screen(&app, "services").await;
    app.wait_for("#service-list:not([aria-busy])").await;
    app.click(r#"[id^="service-deactivate-"]"#).await;
    app.wait_for("#confirm-yes").await;
    assert!(app
        .text("#confirm-body")
        .await
        .to_lowercase()
        .contains("undo"));
    app.screenshot("deactivate-confirm").await;
    app.click("#confirm-yes").await;
    app.wait_for("#services-empty").await;
    app.screenshot("services-empty").await;

    // Restart: the key comes back from the keyring, so the creator is still signed in.
    let app = app.restart().await;
    app.wait_for(READY).await;
    on_screen(&app, "services").await;
    app.wait_for("#mode-banner.mode-practice").await;
    app.wait_for("#nav-account").await;
    app.screenshot("after-restart").await;
    app.quit().await;
}

#[tokio::test]
async fn signing_in_with_a_bad_id_and_key_says_so_beside_each_field() {
    let profile = TestProfile::named("sign-in").await;
    let app = open_in_practice_mode(&profile).await;
    app.click("#choose-sign-in").await;
    on_screen(&app, "sign-in").await;
    app.fill("#signin-agent_id", "ext 1").await;
    app.fill("#signin-api_key", "sk_live_123").await;
    settle().await;
    app.click("#signin-submit").await;
    assert!(!message_beside(&app, "signin-agent_id").await.is_empty());
    assert!(message_beside(&app, "signin-api_key")
        .await
        .contains("atelier_"));
    app.screenshot("sign-in-invalid").await;
    app.quit().await;
}

#[tokio::test]
async fn an_insecure_marketplace_address_is_refused_beside_the_field() {
    let profile = TestProfile::named("base-url").await;
    let app = AppUnderTest::launch(&profile).await;
    app.wait_for(READY).await;
    on_screen(&app, "welcome").await;
    app.click("#live-advanced summary").await;
    app.fill("#live-base_url", "http://agentgram.fun/api/atelier")
        .await;
    settle().await;
    app.click("#choose-live").await;
    assert!(message_beside(&app, "live-base_url")
        .await
        .contains("https://"));
    on_screen(&app, "welcome").await;
    app.screenshot("live-address-invalid").await;
    app.quit().await;
}
