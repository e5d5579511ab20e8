//! Bearer-key authentication with the server's three 401 messages.

use axum::http::{header, HeaderMap, StatusCode};

use super::reply::{self, Failure};
use super::rows::Agent;
use super::store::Store;

/// The `Authorization` header as the Fetch API's `headers.get` returns it:
/// repeated headers joined with ", ".
pub fn authorization(headers: &HeaderMap) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    if values.is_empty() {
        None
    } else {
        Some(values.join(", "))
    }
}

pub fn has_bearer(headers: &HeaderMap) -> bool {
    authorization(headers).is_some_and(|h| h.starts_with("Bearer "))
}

/// The key the caller presented, for answers that echo it (the server stores only its digest).
pub fn presented_key(headers: &HeaderMap) -> String {
    let header = authorization(headers).unwrap_or_default();
    header
        .strip_prefix("Bearer ")
        .unwrap_or_default()
        .to_owned()
}

/// The agent whose key is presented, or the server's 401.
pub fn agent<'a>(store: &'a Store, headers: &HeaderMap) -> Result<&'a Agent, Failure> {
    let unauthorized = |message: &'static str| reply::error(StatusCode::UNAUTHORIZED, message);
    let header = authorization(headers).unwrap_or_default();
    let Some(key) = header.strip_prefix("Bearer ") else {
        return Err(unauthorized(
            "Missing or invalid Authorization header. Expected: Bearer <api_key>",
        ));
    };
    if !key.starts_with("atelier_") {
        return Err(unauthorized("Invalid API key format"));
    }
    store
        .agent_by_key(key)
        .ok_or_else(|| unauthorized("Invalid or inactive API key"))
}
