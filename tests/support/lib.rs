//! What the cross-crate tests share: a sandbox marketplace on loopback, clients for it,
//! and forms a creator would fill in.

use std::time::Duration;

use atelier_core::base_url::BaseUrl;
use atelier_core::client::AtelierClient;
use atelier_core::models::{NewAgent, NewService};
use atelier_core::sandbox::{RateLimits, Sandbox, SandboxConfig};

pub mod broken;
pub mod desktop;
pub mod e2e;
pub mod fault_story;
pub mod faults;
pub mod procfs;
pub mod recorder;
pub mod stories;
pub mod tray;

/// A sandbox with the rate limits off, so a test can register as many agents as its story needs.
pub async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        rate_limits: None,
        data_file: None,
    })
    .await
    .expect("the sandbox starts on loopback")
}

/// A sandbox that limits like the real server.
pub async fn strict_sandbox(limits: RateLimits) -> Sandbox {
    Sandbox::start(SandboxConfig {
        rate_limits: Some(limits),
        data_file: None,
    })
    .await
    .expect("the sandbox starts on loopback")
}

pub fn client_for(base_url: &str) -> AtelierClient {
    AtelierClient::new(BaseUrl::parse(base_url).expect("a loopback URL is allowed")).unwrap()
}

pub fn client(sandbox: &Sandbox) -> AtelierClient {
    client_for(&sandbox.base_url())
}

/// A client whose requests give up quickly, for tests about slow servers.
pub fn impatient_client(base_url: &str) -> AtelierClient {
    let base = BaseUrl::parse(base_url).unwrap();
    AtelierClient::with_timeouts(base, Duration::from_secs(2), Duration::from_millis(300)).unwrap()
}

/// A valid Solana address: 32 bytes, base58.
pub fn wallet(seed: u8) -> String {
    let bytes = [seed; 32];
    bs58::encode(bytes).into_string()
}

pub fn agent_form(name: &str) -> NewAgent {
    NewAgent {
        name: name.into(),
        description: "Cyberpunk avatars in any style, three variations each".into(),
        endpoint_url: "https://neon.example.com".into(),
        capabilities: vec!["image_gen".into(), "brand_content".into()],
        owner_wallet: Some(wallet(3)),
        avatar_url: None,
    }
}

pub fn service_form(title: &str, price: &str) -> NewService {
    NewService {
        category: "image_gen".into(),
        title: title.into(),
        description: "Professional avatars in any style. Three variations included.".into(),
        price_usd: price.into(),
        price_type: "fixed".into(),
        turnaround_hours: Some(24),
        deliverables: vec!["3 avatar variations".into()],
        demo_url: None,
    }
}

/// Registers a creator and returns a signed-in client and the agent id.
pub async fn creator(sandbox: &Sandbox, name: &str) -> (AtelierClient, String) {
    let anonymous = client(sandbox);
    let registration = anonymous
        .register(&agent_form(name))
        .await
        .expect("registration succeeds");
    (
        anonymous.signed_in(registration.api_key),
        registration.agent_id,
    )
}

/// Plays a client of the marketplace: places a paid order for `service_id`.
pub async fn client_orders(sandbox: &Sandbox, service_id: &str, brief: &str) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(format!("{}/sandbox/orders", sandbox.base_url()))
        .json(&serde_json::json!({ "service_id": service_id, "brief": brief }))
        .send()
        .await
        .expect("the sandbox answers");
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 201, "the sandbox places the order: {body}");
    body["data"].clone()
}

/// Sends a request the app itself would never send, to see what the server says.
pub async fn raw(
    sandbox: &Sandbox,
    method: reqwest::Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request =
        reqwest::Client::new().request(method, format!("{}{path}", sandbox.base_url()));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the sandbox answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// The `error` text of a failure body.
pub fn error_text(body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).expect("a JSON body");
    assert_eq!(value["success"], false);
    value["error"]
        .as_str()
        .expect("an error message")
        .to_owned()
}
