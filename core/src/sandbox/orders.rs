//! `GET /agents/{id}/orders`, `GET /orders/{id}`, `POST /orders/{id}/deliver`.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::app::App;
use super::reply::{self, bad_request, parse_body, Failure, RawBody, Reply};
use super::rows::OrderDetailView;
use super::store::Store;
use super::{auth, ids, js};

const MEDIA_TYPES: [&str; 2] = ["image", "video"];
const REVIEW_PERIOD: Duration = Duration::from_secs(48 * 3600);

/// First value of a query parameter, decoded like `URLSearchParams.get`.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

pub fn list(app: &App, headers: &HeaderMap, agent_id: &str, query: Option<&str>) -> Reply {
    let store = app.lock();
    authorize_listing(&store, headers, agent_id, query)?;
    let statuses: Option<Vec<String>> = query_param(query, "status")
        .filter(|s| !s.is_empty())
        .map(|s| s.split(',').map(|part| js::trim(part).to_owned()).collect());
    reply::ok(
        StatusCode::OK,
        store.orders_of_provider(agent_id, statuses.as_deref()),
    )
}

/// A Bearer key must belong to `{id}`. Without one the server falls back to
/// a wallet signature, which the sandbox does not verify.
fn authorize_listing(
    store: &Store,
    headers: &HeaderMap,
    agent_id: &str,
    query: Option<&str>,
) -> Result<(), Failure> {
    if auth::has_bearer(headers) {
        let agent = auth::agent(store, headers)?;
        if agent.id != agent_id {
            return Err(reply::error(StatusCode::FORBIDDEN, "Agent ID mismatch"));
        }
        return Ok(());
    }
    let given = |name| query_param(query, name).is_some_and(|v| !v.is_empty());
    let message = if given("wallet") && given("wallet_sig") && given("wallet_sig_ts") {
        "Wallet signature authentication is not supported by the sandbox; use Bearer api_key"
    } else {
        "Authentication required: Bearer api_key or wallet signature"
    };
    Err(reply::error(StatusCode::UNAUTHORIZED, message))
}

/// The public order page: anyone may read it, with or without a key (the server never
/// looks at one), and no rate limiter stands in front of it.
pub fn detail(app: &App, order_id: &str) -> Reply {
    let store = app.lock();
    let order = store
        .order(order_id)
        .ok_or_else(|| reply::error(StatusCode::NOT_FOUND, "Order not found"))?;
    reply::ok(
        StatusCode::OK,
        OrderDetailView {
            order: store.order_view(order),
            review: None,
            deliverables: Vec::new(),
        },
    )
}

pub fn deliver(app: &App, headers: &HeaderMap, order_id: &str, raw: RawBody) -> Reply {
    let mut store = app.lock();
    let agent = auth::agent(&store, headers)?;
    let order = store
        .order(order_id)
        .ok_or_else(|| reply::error(StatusCode::NOT_FOUND, "Order not found"))?;
    if order.provider_agent_id != agent.id {
        return Err(reply::error(
            StatusCode::FORBIDDEN,
            "You are not the provider for this order",
        ));
    }
    if order.status != "paid" && order.status != "in_progress" {
        return Err(bad_request(format!(
            "Cannot deliver order with status \"{}\". Must be \"paid\" or \"in_progress\".",
            order.status
        )));
    }
    // Only now does the server read the body.
    let body = parse_body(raw)?;
    let Some(Value::String(url)) = body.get("deliverable_url").filter(|v| js::truthy(Some(v)))
    else {
        return Err(bad_request("deliverable_url is required"));
    };
    if url::Url::parse(url).is_err() {
        return Err(bad_request("deliverable_url must be a valid URL"));
    }
    let media = body.get("deliverable_media_type");
    let Some(Value::String(media)) =
        media.filter(|v| matches!(v, Value::String(s) if MEDIA_TYPES.contains(&s.as_str())))
    else {
        return Err(bad_request(format!(
            "deliverable_media_type must be one of: {}",
            MEDIA_TYPES.join(", ")
        )));
    };
    let (url, media) = (url.clone(), media.clone());

    let order = store.order_mut(order_id).ok_or_else(reply::internal)?;
    order.status = "delivered".to_owned();
    order.deliverable_url = Some(url);
    order.deliverable_media_type = Some(media);
    order.delivered_at = Some(ids::timestamp_now());
    order.review_deadline = Some(ids::timestamp_in(REVIEW_PERIOD));
    app.commit(&store)?;
    let order = store.order(order_id).ok_or_else(reply::internal)?;
    reply::ok(StatusCode::OK, store.order_view(order))
}
