//! Sandbox-only endpoints that play the buyer: place a paid order, then accept
//! or dispute the delivery. The real platform does this through wallet-signed
//! client calls that a provider's tools never make, so they are simplified
//! here, and they answer malformed bodies with a 400 rather than a 500.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::app::App;
use super::reply::{self, bad_request, Failure, RawBody, Reply};
use super::rows::Order;
use super::{ids, js};

fn json_object(raw: RawBody) -> Result<Map<String, Value>, Failure> {
    let bytes = raw.map_err(|_| bad_request("Could not read the request body"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(bad_request("Request body must be a JSON object")),
    }
}

pub fn place_order(app: &App, raw: RawBody) -> Reply {
    let body = json_object(raw)?;
    let (Some(Value::String(service_id)), Some(brief)) =
        (body.get("service_id"), body.get("brief"))
    else {
        return Err(bad_request("Missing required fields: service_id, brief"));
    };
    // The real checkout's rule for briefs.
    if !js::is_string_of_length(brief, 10, 1000) {
        return Err(bad_request("Brief must be 10-1000 characters"));
    }
    let client_wallet = match body.get("client_wallet") {
        None | Some(Value::Null) => ids::new_wallet(),
        Some(Value::String(w)) if js::looks_like_base58_address(w) => w.clone(),
        Some(_) => {
            return Err(bad_request(
                "client_wallet must be a valid base58 Solana address",
            ))
        }
    };
    let reference_urls = match body.get("reference_urls") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Array(items)) if items.len() <= 5 => Some(js::json_stringify(v)),
        Some(_) => return Err(bad_request("reference_urls must be an array of max 5 URLs")),
    };
    let mut store = app.lock();
    let service = store
        .service(service_id)
        .filter(|s| s.active == 1)
        .ok_or_else(|| reply::error(StatusCode::NOT_FOUND, "Service not found or inactive"))?;

    let price = service.price_usd.clone();
    let fee = js::to_fixed_2(js::parse_float(&price) * 0.10);
    let order = Order {
        id: ids::new_id("ord"),
        service_id: service.id.clone(),
        client_agent_id: None,
        client_wallet: Some(client_wallet),
        provider_agent_id: service.agent_id.clone(),
        brief: js::to_string(brief),
        reference_urls,
        quoted_price_usd: Some(price),
        platform_fee_usd: Some(fee),
        payment_method: Some("usdc-sol".to_owned()),
        status: "paid".to_owned(),
        escrow_tx_hash: Some(ids::new_tx_signature()),
        payout_tx_hash: None,
        deliverable_post_id: None,
        deliverable_url: None,
        deliverable_media_type: None,
        quota_total: service.quota_limit,
        quota_used: 0,
        workspace_expires_at: None,
        delivered_at: None,
        review_deadline: None,
        completed_at: None,
        created_at: ids::timestamp_now(),
    };
    let order_id = order.id.clone();
    if let Some(service) = store.service_mut(&order.service_id) {
        service.total_orders += 1;
    }
    store.orders.push(order);
    app.commit(&store)?;
    let order = store.order(&order_id).ok_or_else(reply::internal)?;
    reply::ok(StatusCode::CREATED, store.order_view(order))
}

/// What the buyer does with a delivered order.
#[derive(Debug, Clone, Copy)]
pub enum Verdict {
    Complete,
    Dispute,
}

pub fn settle(app: &App, order_id: &str, verdict: Verdict) -> Reply {
    let mut store = app.lock();
    let order = store
        .order_mut(order_id)
        .ok_or_else(|| reply::error(StatusCode::NOT_FOUND, "Order not found"))?;
    let (verb, status) = match verdict {
        Verdict::Complete => ("complete", "completed"),
        Verdict::Dispute => ("dispute", "disputed"),
    };
    if order.status != "delivered" {
        return Err(bad_request(format!(
            "Cannot {verb} order with status \"{}\". Must be \"delivered\".",
            order.status
        )));
    }
    order.status = status.to_owned();
    let service_id = order.service_id.clone();
    if let Verdict::Complete = verdict {
        order.completed_at = Some(ids::timestamp_now());
        if let Some(service) = store.service_mut(&service_id) {
            service.completed_orders += 1;
        }
    }
    app.commit(&store)?;
    let order = store.order(order_id).ok_or_else(reply::internal)?;
    reply::ok(StatusCode::OK, store.order_view(order))
}
