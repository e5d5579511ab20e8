//! Each class of failure reaches the creator as a typed error with a stable code and a
//! plain message, serialised the way the UI reads it.

use atelier_core::error::{ApiError, NetworkProblem};
use atelier_core::models::ServiceUpdate;
use atelier_tests::broken::{broken_server, closed_port, Misbehaviour};
use atelier_tests::*;
use secrecy::SecretString;

#[tokio::test]
async fn invalid_input_is_caught_before_anything_is_sent() {
    // Nothing listens here: had the client sent anything, it would get a network error.
    let nowhere = client_for(&closed_port().await);
    let mut form = agent_form("N");
    form.endpoint_url = "my-agent.example.com".into();
    let err = nowhere.register(&form).await.unwrap_err();
    let ApiError::Invalid(problems) = &err else {
        panic!("expected a validation error, got {err:?}")
    };
    assert!(problems.message_for("name").is_some());
    assert!(problems.message_for("endpoint_url").is_some());

    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["code"], "invalid_input");
    assert_eq!(json["problems"].as_array().unwrap().len(), 2);
    assert_eq!(json["problems"][0]["field"], "name");
}

#[tokio::test]
async fn a_single_problem_names_its_field_for_the_form() {
    let nowhere = client_for(&closed_port().await).signed_in(SecretString::from("atelier_x"));
    let err = nowhere
        .update_service(
            "svc_1",
            &ServiceUpdate {
                price_usd: Some("4.999".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["code"], "invalid_input");
    assert_eq!(json["field"], "price_usd");
    assert_eq!(
        json["message"],
        "Use at most two decimals (cents), for example 7.25."
    );
}

#[tokio::test]
async fn every_kind_of_bad_key_is_unauthorized() {
    let sandbox = sandbox().await;
    let anonymous = client(&sandbox);

    assert!(matches!(
        anonymous.profile().await,
        Err(ApiError::NotSignedIn)
    ));

    let wrong_prefix = anonymous.signed_in(SecretString::from("sk_live_123"));
    let unknown = anonymous.signed_in(SecretString::from(format!("atelier_{}", "0".repeat(48))));
    for client in [wrong_prefix, unknown] {
        let err = client.profile().await.unwrap_err();
        assert!(matches!(err, ApiError::Unauthorized { .. }), "{err:?}");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["code"], "unauthorized");
        assert!(
            json["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "the server's words are kept: {json}"
        );
    }

    // Headers the app never sends, straight to the server.
    for header in [None, Some("Token atelier_abc"), Some("Bearer ")] {
        let (status, _, body) =
            raw(&sandbox, reqwest::Method::GET, "/agents/me", header, None).await;
        assert_eq!(status, 401, "{header:?}");
        assert!(!error_text(&body).is_empty());
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_network_problem() {
    let err = client_for(&closed_port().await)
        .register(&agent_form("Neon Avatars"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Network(NetworkProblem::Offline)),
        "{err:?}"
    );
    assert_eq!(err.code(), "network");
    assert!(err.is_transient());
    assert!(err.to_string().contains("internet connection"));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let hanging = broken_server(Misbehaviour::Hang).await;
    let err = impatient_client(&hanging)
        .register(&agent_form("Neon Avatars"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Network(NetworkProblem::Timeout)),
        "{err:?}"
    );
    assert_eq!(err.code(), "timeout");
}

#[tokio::test]
async fn an_outage_is_a_server_error_worth_retrying() {
    let down = broken_server(Misbehaviour::Answer {
        status: 503,
        content_type: "text/html",
        body: "<h1>Service Unavailable</h1>",
    })
    .await;
    let err = client_for(&down)
        .register(&agent_form("Neon Avatars"))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Server { status: 503 }), "{err:?}");
    assert_eq!(err.code(), "server_error");
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_malformed_body_is_a_server_error_on_this_server() {
    let sandbox = sandbox().await;
    let response = reqwest::Client::new()
        .post(format!("{}/agents/register", sandbox.base_url()))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let body = response.bytes().await.unwrap();
    assert_eq!(error_text(&body), "Internal server error");
}

#[tokio::test]
async fn an_answer_that_is_not_atelier_json_is_unexpected() {
    let captive_portal = broken_server(Misbehaviour::Answer {
        status: 200,
        content_type: "text/html",
        body: "<html>Please log in to the hotel Wi-Fi</html>",
    })
    .await;
    let err = client_for(&captive_portal)
        .register(&agent_form("Neon Avatars"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::UnexpectedResponse { status: 200, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "unexpected_response");
}
