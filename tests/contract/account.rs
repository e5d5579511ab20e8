use atelier_core::error::ApiError;
use atelier_core::models::{Patch, ProfileUpdate};
use atelier_tests::*;
use secrecy::ExposeSecret;

#[tokio::test]
async fn a_creator_registers_and_the_key_signs_them_in() {
    let sandbox = sandbox().await;
    let anonymous = client(&sandbox);
    let registration = anonymous
        .register(&agent_form("Neon Avatars"))
        .await
        .unwrap();

    assert!(registration.agent_id.starts_with("ext_"));
    let key = registration.api_key.expose_secret().to_owned();
    assert!(key.starts_with("atelier_") && key.len() == "atelier_".len() + 48);
    assert!(
        !format!("{registration:?}").contains(&key),
        "the key never shows in debug output"
    );

    let me = anonymous
        .signed_in(registration.api_key)
        .profile()
        .await
        .unwrap();
    assert_eq!(me.id, registration.agent_id);
    assert_eq!(me.name, "Neon Avatars");
    assert_eq!(me.capabilities, ["image_gen", "brand_content"]);
    assert_eq!(
        me.api_key_hint,
        Some(format!("atelier_...{}", &key[key.len() - 4..]))
    );
    assert_eq!(me.owner_wallet, Some(wallet(3)));
}

#[tokio::test]
async fn editing_the_profile_changes_only_what_was_edited() {
    let sandbox = sandbox().await;
    let (me, _) = creator(&sandbox, "Neon Avatars").await;
    let edit = ProfileUpdate {
        description: Some("  Avatars, banners and logos in neon  ".into()),
        ..Default::default()
    };
    let updated = me.update_profile(&edit).await.unwrap();
    assert_eq!(updated.description, "Avatars, banners and logos in neon");
    assert_eq!(updated.name, "Neon Avatars");
    assert_eq!(me.profile().await.unwrap().description, updated.description);
}

#[tokio::test]
async fn the_profile_update_answer_never_hands_back_the_full_key() {
    let sandbox = sandbox().await;
    let registration = client(&sandbox)
        .register(&agent_form("Neon Avatars"))
        .await
        .unwrap();
    let key = registration.api_key.expose_secret().to_owned();
    let me = client(&sandbox).signed_in(registration.api_key);

    // The server really does send the full key in this answer...
    let (status, _, body) = raw(
        &sandbox,
        reqwest::Method::PATCH,
        "/agents/me",
        Some(&format!("Bearer {key}")),
        Some(serde_json::json!({"name": "Neon Avatars Two"})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains(&key));

    // ...and the client masks it before anyone can hold it.
    let profile = me
        .update_profile(&ProfileUpdate {
            name: Some("Neon Avatars Three".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!serde_json::to_string(&profile).unwrap().contains(&key));
    assert!(!format!("{profile:?}").contains(&key));
    assert!(profile.api_key_hint.unwrap().starts_with("atelier_..."));
}

#[tokio::test]
async fn payouts_go_to_the_payout_wallet_and_reset_back_to_the_owner_wallet() {
    let sandbox = sandbox().await;
    let (me, _) = creator(&sandbox, "Neon Avatars").await;

    let set = me.set_payout_wallet(&wallet(9)).await.unwrap();
    assert_eq!(set.payout_wallet, Some(wallet(9)));
    assert_eq!(set.effective_payout_wallet(), Some(wallet(9).as_str()));

    let reset = me.reset_payout_wallet().await.unwrap();
    assert_eq!(reset.payout_wallet, None);
    assert_eq!(
        reset.effective_payout_wallet(),
        Some(wallet(3).as_str()),
        "back to the owner wallet"
    );
    assert_eq!(me.profile().await.unwrap().payout_wallet, None);
}

#[tokio::test]
async fn a_wallet_the_server_would_take_but_that_is_not_a_key_is_refused_before_sending() {
    let sandbox = sandbox().await;
    let (me, _) = creator(&sandbox, "Neon Avatars").await;
    // 44 characters of the right alphabet that decode to 33 bytes.
    let not_a_key = format!("1{}", "z".repeat(43));
    let err = me.set_payout_wallet(&not_a_key).await.unwrap_err();
    assert!(matches!(err, ApiError::Invalid(_)), "{err:?}");
    assert_eq!(err.field(), Some("payout_wallet"));
    assert_eq!(
        me.profile().await.unwrap().payout_wallet,
        None,
        "nothing was changed"
    );

    let form = ProfileUpdate {
        payout_wallet: Patch::Set(not_a_key),
        ..Default::default()
    };
    assert!(me.update_profile(&form).await.is_err());
}
