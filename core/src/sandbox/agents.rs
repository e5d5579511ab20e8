//! `POST /agents/register`, `GET /agents/me`, `PATCH /agents/me`.

use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::{json, Value};

use super::app::App;
use super::js;
use super::reply::{self, bad_request, parse_body, Failure, RawBody, Reply};
use super::rows::{Agent, AgentProfile};
use super::{auth, ids};

pub const CATEGORIES: [&str; 6] = [
    "image_gen",
    "video_gen",
    "ugc",
    "influencer",
    "brand_content",
    "custom",
];

fn is_category(value: &Value) -> bool {
    matches!(value, Value::String(s) if CATEGORIES.contains(&s.as_str()))
}

/// The server's message for a capabilities array with unknown entries, if any.
fn invalid_capabilities(items: &[Value]) -> Option<String> {
    let invalid: Vec<String> = items
        .iter()
        .filter(|c| !is_category(c))
        .map(js::join_element)
        .collect();
    (!invalid.is_empty()).then(|| {
        format!(
            "Invalid capabilities: {}. Valid: {}",
            invalid.join(", "),
            CATEGORIES.join(", ")
        )
    })
}

const NAME_LENGTH: &str = "Name must be between 2 and 50 characters";
const DESCRIPTION_LENGTH: &str = "Description must be between 10 and 500 characters";
const ENDPOINT_URL: &str = "endpoint_url must be a valid URL";

#[derive(Serialize)]
struct Registered {
    agent_id: String,
    api_key: String,
    protocol_spec: Value,
}

/// What the server tells a newly registered agent to implement.
fn protocol_spec() -> Value {
    json!({
        "required_endpoints": [
            "GET  /agent/profile    → { name, description, avatar_url, capabilities[] }",
            "GET  /agent/services   → { services: [{ id, title, description, price_usd, category }] }",
            "POST /agent/execute    → { service_id, brief, params } → { result, deliverable_url }",
            "GET  /agent/portfolio  → { works: [{ url, type, caption, created_at }] }",
        ]
    })
}

fn text(value: &Value) -> Result<Option<String>, Failure> {
    js::sql_text(value).map_err(|_| reply::internal())
}

/// Stored when truthy, NULL otherwise (the server's `x || null`).
fn text_or_null(value: Option<&Value>) -> Result<Option<String>, Failure> {
    match value {
        Some(v) if js::truthy(Some(v)) => text(v),
        _ => Ok(None),
    }
}

pub fn register(app: &App, raw: RawBody) -> Reply {
    let body = parse_body(raw)?;
    let required = |field| body.get(field).filter(|v| js::truthy(Some(v)));
    let (Some(name), Some(description), Some(endpoint_url)) = (
        required("name"),
        required("description"),
        required("endpoint_url"),
    ) else {
        return Err(bad_request(
            "Missing required fields: name, description, endpoint_url",
        ));
    };
    if js::length_out_of(name, 2, 50) {
        return Err(bad_request(NAME_LENGTH));
    }
    if js::length_out_of(description, 10, 500) {
        return Err(bad_request(DESCRIPTION_LENGTH));
    }
    if !js::is_url(endpoint_url) {
        return Err(bad_request(ENDPOINT_URL));
    }
    let owner_wallet = body.get("owner_wallet");
    if let Some(wallet) = owner_wallet.filter(|v| js::truthy(Some(v))) {
        if !js::looks_like_base58_address(&js::to_string(wallet)) {
            return Err(bad_request(
                "owner_wallet must be a valid base58 Solana address",
            ));
        }
    }
    let capabilities = body.get("capabilities");
    if let Some(Value::Array(items)) = capabilities {
        if let Some(message) = invalid_capabilities(items) {
            return Err(bad_request(message));
        }
    }

    let empty = Value::Array(Vec::new());
    let capabilities = capabilities
        .filter(|v| js::truthy(Some(v)))
        .unwrap_or(&empty);
    let agent = Agent {
        id: ids::new_id("ext"),
        name: text(name)?.unwrap_or_default(),
        description: text(description)?,
        avatar_url: text_or_null(body.get("avatar_url"))?,
        bio: None,
        source: "external".to_owned(),
        endpoint_url: text(endpoint_url)?,
        capabilities: Some(js::json_stringify(capabilities)),
        api_key: None,
        verified: 0,
        blue_check: 0,
        is_atelier_official: 0,
        active: 1,
        total_orders: 0,
        completed_orders: 0,
        avg_rating: None,
        twitter_username: None,
        bankr_wallet: None,
        owner_wallet: text_or_null(owner_wallet)?,
        token_mint: None,
        token_name: None,
        token_symbol: None,
        token_image_url: None,
        token_mode: None,
        token_creator_wallet: None,
        token_tx_hash: None,
        token_created_at: None,
        payout_wallet: None,
        created_at: ids::timestamp_now(),
    };
    let key = ids::new_api_key();
    let mut agent = agent;
    agent.api_key = Some(ids::key_digest(&key));
    let registered = Registered {
        agent_id: agent.id.clone(),
        api_key: key,
        protocol_spec: protocol_spec(),
    };
    let mut store = app.lock();
    store.agents.push(agent);
    app.commit(&store)?;
    reply::ok(StatusCode::CREATED, registered)
}

pub fn me(app: &App, headers: &HeaderMap) -> Reply {
    let store = app.lock();
    let agent = auth::agent(&store, headers)?;
    reply::ok(
        StatusCode::OK,
        AgentProfile::of(agent, &auth::presented_key(headers)),
    )
}

/// Changes a `PATCH /agents/me` body asks for; `None` leaves a column alone.
#[derive(Default)]
struct AgentChanges {
    name: Option<String>,
    description: Option<Option<String>>,
    avatar_url: Option<Option<String>>,
    endpoint_url: Option<Option<String>>,
    capabilities: Option<Option<String>>,
    payout_wallet: Option<Option<String>>,
}

fn agent_changes(body: &reply::Body) -> Result<AgentChanges, Failure> {
    let name = body.get("name");
    if name.is_some_and(|v| !js::is_string_of_length(v, 2, 50)) {
        return Err(bad_request(NAME_LENGTH));
    }
    let description = body.get("description");
    if description.is_some_and(|v| !js::is_string_of_length(v, 10, 500)) {
        return Err(bad_request(DESCRIPTION_LENGTH));
    }
    let avatar_url = body.get("avatar_url");
    if avatar_url.is_some_and(|v| !v.is_null() && !js::is_url(v)) {
        return Err(bad_request("avatar_url must be a valid URL"));
    }
    let endpoint_url = body.get("endpoint_url");
    if endpoint_url.is_some_and(|v| !js::is_url(v)) {
        return Err(bad_request(ENDPOINT_URL));
    }
    let capabilities = body.get("capabilities");
    if let Some(value) = capabilities {
        let Value::Array(items) = value else {
            return Err(bad_request("capabilities must be an array"));
        };
        if let Some(message) = invalid_capabilities(items) {
            return Err(bad_request(message));
        }
    }
    let payout_wallet = body.get("payout_wallet");
    if let Some(value) = payout_wallet.filter(|v| !v.is_null()) {
        if !matches!(value, Value::String(s) if js::looks_like_base58_address(s)) {
            return Err(bad_request(
                "payout_wallet must be a valid base58 Solana address",
            ));
        }
    }
    // `owner_wallet` is not read at all: the server ignores it here.
    Ok(AgentChanges {
        name: name.map(js::to_string),
        description: description.map(text).transpose()?,
        avatar_url: avatar_url.map(text).transpose()?,
        endpoint_url: endpoint_url.map(text).transpose()?,
        capabilities: capabilities.map(|v| Some(js::json_stringify(v))),
        payout_wallet: payout_wallet.map(text).transpose()?,
    })
}

pub fn update_me(app: &App, headers: &HeaderMap, raw: RawBody) -> Reply {
    let mut store = app.lock();
    let agent_id = auth::agent(&store, headers)?.id.clone();
    let changes = agent_changes(&parse_body(raw)?)?;
    let not_found = || reply::error(StatusCode::NOT_FOUND, "Agent not found");
    let agent = store.agent_mut(&agent_id).ok_or_else(not_found)?;
    if let Some(name) = changes.name {
        agent.name = name;
    }
    let optional = [
        (&mut agent.description, changes.description),
        (&mut agent.avatar_url, changes.avatar_url),
        (&mut agent.endpoint_url, changes.endpoint_url),
        (&mut agent.capabilities, changes.capabilities),
        (&mut agent.payout_wallet, changes.payout_wallet),
    ];
    for (column, change) in optional {
        if let Some(value) = change {
            *column = value;
        }
    }
    app.commit(&store)?;
    // The server really does return the whole row, unmasked key included; the sandbox
    // keeps only a digest, so it echoes the key the caller presented.
    let mut row = store.agent(&agent_id).ok_or_else(not_found)?.clone();
    row.api_key = Some(auth::presented_key(headers));
    reply::ok(StatusCode::OK, row)
}
