use atelier_core::error::ApiError;
use atelier_core::models::ServiceUpdate;
use atelier_tests::*;

#[tokio::test]
async fn a_creator_lists_edits_and_deactivates_a_service() {
    let sandbox = sandbox().await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;

    let avatar = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "$5"))
        .await
        .unwrap();
    assert!(avatar.id.starts_with("svc_"));
    assert_eq!(
        avatar.price_usd.as_str(),
        "5.00",
        "the typed price is sent normalised"
    );
    assert_eq!(avatar.deliverables, ["3 avatar variations"]);
    assert_eq!(avatar.turnaround_hours, Some(24));

    let mut promo_form = service_form("Short promo video", "7.5");
    promo_form.category = "video_gen".into();
    promo_form.price_type = "quote".into();
    promo_form.turnaround_hours = None;
    let promo = me.create_service(&agent_id, &promo_form).await.unwrap();
    assert_eq!(
        promo.turnaround_hours,
        Some(48),
        "Atelier assumes two days when none is given"
    );

    let listed = me.services(&agent_id).await.unwrap();
    let titles: Vec<&str> = listed.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Short promo video", "Custom Avatar Generation"],
        "newest first"
    );

    let edited = me
        .update_service(
            &avatar.id,
            &ServiceUpdate {
                price_usd: Some("7.50".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.price_usd.as_str(), "7.50");
    assert_eq!(edited.title, "Custom Avatar Generation");

    let gone = me.deactivate_service(&avatar.id).await.unwrap();
    assert_eq!(gone.id, avatar.id);
    assert!(!gone.active);
    let again = me.deactivate_service(&avatar.id).await.unwrap();
    assert!(!again.active, "deactivating twice is harmless");

    let listed = me.services(&agent_id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, promo.id);
}

#[tokio::test]
async fn an_empty_edit_changes_nothing() {
    let sandbox = sandbox().await;
    let (me, agent_id) = creator(&sandbox, "Neon Avatars").await;
    let service = me
        .create_service(&agent_id, &service_form("Custom Avatar Generation", "5"))
        .await
        .unwrap();
    let same = me
        .update_service(&service.id, &ServiceUpdate::default())
        .await
        .unwrap();
    assert_eq!(same.title, service.title);
    assert_eq!(same.price_usd, service.price_usd);
}

#[tokio::test]
async fn another_creators_services_are_off_limits() {
    let sandbox = sandbox().await;
    let (alice, alice_id) = creator(&sandbox, "Alice Avatars").await;
    let (bob, bob_id) = creator(&sandbox, "Bob Banners").await;
    let alices = alice
        .create_service(&alice_id, &service_form("Alice's avatars", "5"))
        .await
        .unwrap();

    let err = bob
        .create_service(&alice_id, &service_form("Sneaky listing", "1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::Forbidden { server_message } if server_message == "Agent ID mismatch"),
        "{err:?}"
    );
    assert_eq!(err.code(), "forbidden");

    let err = bob
        .update_service(
            &alices.id,
            &ServiceUpdate {
                price_usd: Some("0".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let err = bob.deactivate_service(&alices.id).await.unwrap_err();
    assert_eq!(err.code(), "forbidden");

    assert_eq!(
        alice.services(&alice_id).await.unwrap().len(),
        1,
        "Alice's service is untouched"
    );
    assert!(bob.services(&bob_id).await.unwrap().is_empty());
}

#[tokio::test]
async fn editing_a_service_that_does_not_exist_says_so() {
    let sandbox = sandbox().await;
    let (me, _) = creator(&sandbox, "Neon Avatars").await;
    let err = me
        .update_service(
            "svc_0_missing",
            &ServiceUpdate {
                title: Some("Anything at all".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::NotFound { .. }), "{err:?}");
    assert_eq!(err.code(), "not_found");
}
