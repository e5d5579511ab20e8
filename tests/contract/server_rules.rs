//! Each 400 rule of the server, three ways: the sandbox answers with the real server's
//! message; the client files that message under the right form field; and the client's
//! own validation flags the same field first, so the creator meets it before sending.

use atelier_core::error::ApiError;
use atelier_core::models::{Delivery, NewAgent, NewService, ProfileUpdate, ServiceUpdate};
use atelier_core::sandbox::Sandbox;
use atelier_core::validate::{self, ValidationErrors};
use atelier_tests::*;
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

const CATEGORIES: &str = "image_gen, video_gen, ugc, influencer, brand_content, custom";

struct Rule {
    change: Value,
    message: String,
    /// Where the server's message lands; `None` when it names several fields.
    field: Option<&'static str>,
    /// The field the client's own validation flags for the same input.
    client_field: &'static str,
}

fn rule(
    change: Value,
    message: impl Into<String>,
    field: Option<&'static str>,
    client_field: &'static str,
) -> Rule {
    Rule {
        change,
        message: message.into(),
        field,
        client_field,
    }
}

/// The same rule where the server's field and the client's field are one.
fn on(field: &'static str, change: Value, message: impl Into<String>) -> Rule {
    rule(change, message, Some(field), field)
}

fn merged(base: &Value, change: &Value) -> Value {
    let mut body = base.clone();
    for (k, v) in change.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

struct Endpoint<'a> {
    method: Method,
    path: String,
    key: Option<&'a str>,
    /// A body the server accepts; each rule changes one part of it.
    valid: Value,
}

async fn check_rules(
    sandbox: &Sandbox,
    endpoint: Endpoint<'_>,
    rules: Vec<Rule>,
    client_validation: impl Fn(&Value) -> Result<(), ValidationErrors>,
) {
    let auth = endpoint.key.map(|k| format!("Bearer {k}"));
    for rule in rules {
        let body = merged(&endpoint.valid, &rule.change);
        let (status, headers, answer) = raw(
            sandbox,
            endpoint.method.clone(),
            &endpoint.path,
            auth.as_deref(),
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{} {body}", endpoint.path);
        assert_eq!(
            error_text(&answer),
            rule.message,
            "{} {}",
            endpoint.path,
            rule.change
        );

        let err = ApiError::from_response(status, &headers, &answer);
        assert_eq!(err.field(), rule.field, "field for {:?}", rule.message);
        assert_eq!(
            err.to_string(),
            rule.message,
            "the server's words are shown as they come"
        );

        let problems = client_validation(&body)
            .expect_err(&format!("client validation lets {} through", rule.change));
        assert!(
            problems.message_for(rule.client_field).is_some(),
            "client should flag {} for {}, got {problems:?}",
            rule.client_field,
            rule.change
        );
    }
}

fn as_form<T: serde::de::DeserializeOwned>(body: &Value) -> T {
    serde_json::from_value(body.clone()).expect("the body reads as the app's form")
}

#[tokio::test]
async fn registration_rules() {
    let sandbox = sandbox().await;
    let endpoint = Endpoint {
        method: Method::POST,
        path: "/agents/register".into(),
        key: None,
        valid: serde_json::to_value(agent_form("Neon Avatars")).unwrap(),
    };
    let rules = vec![
        rule(
            json!({"name": ""}),
            "Missing required fields: name, description, endpoint_url",
            None,
            "name",
        ),
        on(
            "name",
            json!({"name": "N"}),
            "Name must be between 2 and 50 characters",
        ),
        on(
            "name",
            json!({"name": "N".repeat(51)}),
            "Name must be between 2 and 50 characters",
        ),
        on(
            "description",
            json!({"description": "Too short"}),
            "Description must be between 10 and 500 characters",
        ),
        on(
            "endpoint_url",
            json!({"endpoint_url": "my agent"}),
            "endpoint_url must be a valid URL",
        ),
        on(
            "owner_wallet",
            json!({"owner_wallet": "0OIl"}),
            "owner_wallet must be a valid base58 Solana address",
        ),
        on(
            "capabilities",
            json!({"capabilities": ["painting"]}),
            format!("Invalid capabilities: painting. Valid: {CATEGORIES}"),
        ),
    ];
    check_rules(&sandbox, endpoint, rules, |body| {
        validate::new_agent(&as_form::<NewAgent>(body)).map(drop)
    })
    .await;
}

#[tokio::test]
async fn profile_rules() {
    let sandbox = sandbox().await;
    let registration = client(&sandbox)
        .register(&agent_form("Neon Avatars"))
        .await
        .unwrap();
    let key = registration.api_key.expose_secret().to_owned();
    let endpoint = Endpoint {
        method: Method::PATCH,
        path: "/agents/me".into(),
        key: Some(&key),
        valid: json!({}),
    };
    let rules = vec![
        on(
            "name",
            json!({"name": "N"}),
            "Name must be between 2 and 50 characters",
        ),
        on(
            "description",
            json!({"description": "Too short"}),
            "Description must be between 10 and 500 characters",
        ),
        on(
            "endpoint_url",
            json!({"endpoint_url": "nope"}),
            "endpoint_url must be a valid URL",
        ),
        on(
            "avatar_url",
            json!({"avatar_url": "nope"}),
            "avatar_url must be a valid URL",
        ),
        on(
            "capabilities",
            json!({"capabilities": ["painting"]}),
            format!("Invalid capabilities: painting. Valid: {CATEGORIES}"),
        ),
        on(
            "payout_wallet",
            json!({"payout_wallet": "abc"}),
            "payout_wallet must be a valid base58 Solana address",
        ),
    ];
    check_rules(&sandbox, endpoint, rules, |body| {
        validate::profile_update(&as_form::<ProfileUpdate>(body)).map(drop)
    })
    .await;
}

fn service_rules(category_message: String) -> Vec<Rule> {
    vec![
        on(
            "category",
            json!({"category": "painting"}),
            category_message,
        ),
        on(
            "title",
            json!({"title": "Av"}),
            "title must be between 3 and 100 characters",
        ),
        on(
            "description",
            json!({"description": "Too short"}),
            "description must be between 10 and 1000 characters",
        ),
        on(
            "price_usd",
            json!({"price_usd": "-1"}),
            "price_usd must be a valid non-negative number",
        ),
        on(
            "price_usd",
            json!({"price_usd": "free"}),
            "price_usd must be a valid non-negative number",
        ),
        on(
            "price_type",
            json!({"price_type": "weekly"}),
            "price_type must be one of: fixed, quote",
        ),
        on(
            "demo_url",
            json!({"demo_url": "portfolio"}),
            "demo_url must be a valid URL",
        ),
    ]
}

#[tokio::test]
async fn service_creation_rules() {
    let sandbox = sandbox().await;
    let registration = client(&sandbox)
        .register(&agent_form("Neon Avatars"))
        .await
        .unwrap();
    let key = registration.api_key.expose_secret().to_owned();
    let endpoint = Endpoint {
        method: Method::POST,
        path: format!("/agents/{}/services", registration.agent_id),
        key: Some(&key),
        valid: serde_json::to_value(service_form("Custom Avatar Generation", "5.00")).unwrap(),
    };
    let rules = service_rules(format!("category is required. Valid: {CATEGORIES}"));
    check_rules(&sandbox, endpoint, rules, |body| {
        validate::new_service(&as_form::<NewService>(body)).map(drop)
    })
    .await;
}

#[tokio::test]
async fn service_edit_rules() {
    let sandbox = sandbox().await;
    let registration = client(&sandbox)
        .register(&agent_form("Neon Avatars"))
        .await
        .unwrap();
    let key = registration.api_key.expose_secret().to_owned();
    let me = client(&sandbox).signed_in(registration.api_key);
    let service = me
        .create_service(
            &registration.agent_id,
            &service_form("Custom Avatar Generation", "5"),
        )
        .await
        .unwrap();
    let endpoint = Endpoint {
        method: Method::PATCH,
        path: format!("/services/{}", service.id),
        key: Some(&key),
        valid: json!({}),
    };
    let rules = service_rules(format!("Invalid category. Valid: {CATEGORIES}"));
    check_rules(&sandbox, endpoint, rules, |body| {
        validate::service_update(&as_form::<ServiceUpdate>(body)).map(drop)
    })
    .await;
}

#[tokio::test]
async fn delivery_rules() {
    let sandbox = sandbox().await;
    let registration = client(&sandbox)
        .register(&agent_form("Neon Avatars"))
        .await
        .unwrap();
    let key = registration.api_key.expose_secret().to_owned();
    let me = client(&sandbox).signed_in(registration.api_key);
    let service = me
        .create_service(
            &registration.agent_id,
            &service_form("Custom Avatar Generation", "5"),
        )
        .await
        .unwrap();
    let order = client_orders(&sandbox, &service.id, "A neon avatar").await;
    let endpoint = Endpoint {
        method: Method::POST,
        path: format!("/orders/{}/deliver", order["id"].as_str().unwrap()),
        key: Some(&key),
        valid: json!({"deliverable_url": "https://x.example/a.png", "deliverable_media_type": "image"}),
    };
    let rules = vec![
        on(
            "deliverable_url",
            json!({"deliverable_url": ""}),
            "deliverable_url is required",
        ),
        on(
            "deliverable_url",
            json!({"deliverable_url": "result.png"}),
            "deliverable_url must be a valid URL",
        ),
        on(
            "deliverable_media_type",
            json!({"deliverable_media_type": "gif"}),
            "deliverable_media_type must be one of: image, video",
        ),
    ];
    check_rules(&sandbox, endpoint, rules, |body| {
        validate::delivery(&as_form::<Delivery>(body)).map(drop)
    })
    .await;
}
