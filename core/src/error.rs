//! The one error type of the Atelier API boundary. Every variant has a stable `code` the UI
//! can branch on and a message a creator understands; it serialises as
//! `{code, message, field?, problems?, retry_after_secs?, detail?}`.

use std::error::Error as _;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::models::Timestamp;
use crate::validate::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Caught before sending: nothing reached the network.
    #[error("{0}")]
    Invalid(ValidationErrors),

    /// The server refused the request as invalid (400, or 409 on a newer server). Its own
    /// message is shown as it comes; `field` says which input it is about, when that's clear.
    #[error("{message}")]
    Rejected {
        field: Option<String>,
        message: String,
    },

    #[error("You're not signed in to Atelier yet.")]
    NotSignedIn,

    #[error("Atelier didn't accept your API key. Sign in again with the key you saved when you registered.")]
    Unauthorized { server_message: String },

    #[error("Atelier says this belongs to a different agent, so this account can't change it.")]
    Forbidden { server_message: String },

    #[error(
        "Atelier couldn't find that. It may have been removed, or the server address may be wrong."
    )]
    NotFound { server_message: String },

    #[error("Atelier has asked this app to slow down. {}", wait_phrase(*.retry_after_secs))]
    RateLimited {
        retry_after_secs: Option<u64>,
        reset_at: Option<Timestamp>,
    },

    #[error("Atelier is having trouble right now (error {status}). Nothing was lost; try again in a few minutes.")]
    Server { status: u16 },

    #[error("{}", .0.message())]
    Network(NetworkProblem),

    #[error("Atelier sent an answer this app doesn't understand (status {status}). Updating Atelier Desk may help.")]
    UnexpectedResponse { status: u16, detail: String },
}

/// Why the server could not be reached. A timeout is kept apart because a request that
/// timed out may still have been carried out (a delivery must be re-checked, not resent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkProblem {
    Offline,
    NameNotFound,
    Tls,
    Timeout,
}

impl NetworkProblem {
    fn message(self) -> &'static str {
        match self {
            NetworkProblem::Offline => "Can't reach Atelier. Check your internet connection and try again.",
            NetworkProblem::NameNotFound => {
                "Can't find the Atelier server. Check your internet connection, or the server address under Advanced."
            }
            NetworkProblem::Tls => {
                "Couldn't open a secure connection to Atelier. Check your computer's date and time, or try another network."
            }
            NetworkProblem::Timeout => {
                "Atelier took too long to answer. Check your connection and try again."
            }
        }
    }
}

fn wait_phrase(secs: Option<u64>) -> String {
    match secs {
        None => "Try again in a little while.".to_owned(),
        Some(s) if s < 60 => "Try again in a minute.".to_owned(),
        Some(s) => {
            let minutes = s.div_ceil(60);
            format!(
                "Try again in about {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            )
        }
    }
}

impl ApiError {
    /// A stable name for the kind of problem, for the UI and the watcher to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid(_) | ApiError::Rejected { .. } => "invalid_input",
            ApiError::NotSignedIn | ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::NotFound { .. } => "not_found",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Server { .. } => "server_error",
            ApiError::Network(NetworkProblem::Timeout) => "timeout",
            ApiError::Network(_) => "network",
            ApiError::UnexpectedResponse { .. } => "unexpected_response",
        }
    }

    /// The form field the problem belongs to, when there is exactly one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Invalid(errors) => match errors.problems.as_slice() {
                [only] => Some(only.field.as_str()),
                _ => None,
            },
            ApiError::Rejected { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited {
                retry_after_secs, ..
            } => *retry_after_secs,
            _ => None,
        }
    }

    /// Worth trying again later without changing anything (network, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::Network(_) | ApiError::Server { .. } | ApiError::RateLimited { .. }
        )
    }

    /// The server's own words, where the message above paraphrases them.
    fn detail(&self) -> Option<&str> {
        match self {
            ApiError::Unauthorized { server_message }
            | ApiError::Forbidden { server_message }
            | ApiError::NotFound { server_message } => {
                Some(server_message.as_str()).filter(|m| !m.is_empty())
            }
            ApiError::UnexpectedResponse { detail, .. } => Some(detail.as_str()),
            _ => None,
        }
    }

    /// Builds the error for a non-success HTTP answer. Only the `error` string of the body is
    /// read: bodies may carry secrets (a PATCH answer holds the full API key).
    pub fn from_response(
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> ApiError {
        let server_message = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_default();
        match status {
            400 | 409 | 422 => ApiError::Rejected {
                field: field_named_in(&server_message).map(str::to_owned),
                message: if server_message.is_empty() {
                    "Atelier refused this request. Check the form and try again.".to_owned()
                } else {
                    server_message
                },
            },
            401 => ApiError::Unauthorized { server_message },
            403 => ApiError::Forbidden { server_message },
            404 => ApiError::NotFound { server_message },
            429 => ApiError::RateLimited {
                retry_after_secs: header_number(headers, "retry-after"),
                reset_at: header_number(headers, "x-ratelimit-reset")
                    .and_then(|s| i64::try_from(s).ok())
                    .and_then(Timestamp::from_unix),
            },
            500..=599 => ApiError::Server { status },
            _ => ApiError::UnexpectedResponse {
                status,
                detail: format!("HTTP status {status}"),
            },
        }
    }

    /// Sorts a transport failure into what a person can act on.
    pub fn from_transport(err: &reqwest::Error) -> ApiError {
        if err.is_timeout() {
            return ApiError::Network(NetworkProblem::Timeout);
        }
        // reqwest does not classify DNS and TLS failures; their causes say it in words.
        let mut chain = String::new();
        let mut source = err.source();
        while let Some(cause) = source {
            chain.push_str(&cause.to_string().to_ascii_lowercase());
            chain.push(' ');
            source = cause.source();
        }
        let problem = if chain.contains("dns")
            || chain.contains("lookup")
            || chain.contains("name or service")
        {
            NetworkProblem::NameNotFound
        } else if chain.contains("certificate")
            || chain.contains("tls")
            || chain.contains("handshake")
        {
            NetworkProblem::Tls
        } else if chain.contains("timed out") {
            NetworkProblem::Timeout
        } else {
            NetworkProblem::Offline
        };
        ApiError::Network(problem)
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        ApiError::Invalid(errors)
    }
}

fn header_number(headers: &reqwest::header::HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Which form field a server message is about. The real server names fields either by
/// their API name (`endpoint_url must be a valid URL`) or in words (`Name must be ...`).
/// A message naming several fields (`Missing required fields: ...`) belongs to none.
pub fn field_named_in(message: &str) -> Option<&'static str> {
    const HINTS: [(&str, &str); 16] = [
        ("payout_wallet", "payout_wallet"),
        ("owner_wallet", "owner_wallet"),
        ("endpoint_url", "endpoint_url"),
        ("avatar_url", "avatar_url"),
        ("deliverable_url", "deliverable_url"),
        ("deliverable_media_type", "deliverable_media_type"),
        ("demo_url", "demo_url"),
        ("price_usd", "price_usd"),
        ("price_type", "price_type"),
        ("turnaround", "turnaround_hours"),
        ("capabilit", "capabilities"),
        ("categor", "category"),
        ("title", "title"),
        ("description", "description"),
        ("deliverables", "deliverables"),
        ("name", "name"),
    ];
    // API names come before plain words; each match is blanked out so that a word inside
    // it is not counted again as a second field.
    let mut text = message.to_ascii_lowercase();
    let mut found: Option<&'static str> = None;
    for (needle, field) in HINTS {
        if let Some(at) = text.find(needle) {
            if found.is_some_and(|f| f != field) {
                return None;
            }
            found = Some(field);
            text.replace_range(at..at + needle.len(), &" ".repeat(needle.len()));
        }
    }
    found
}

/// The `{code, message}` shape of every error on its way to the page, for the error types
/// that carry nothing more.
pub fn serialize_code_and_message<S: Serializer>(
    s: S,
    code: &str,
    message: &str,
) -> Result<S::Ok, S::Error> {
    let mut out = s.serialize_struct("Error", 2)?;
    out.serialize_field("code", code)?;
    out.serialize_field("message", message)?;
    out.end()
}

impl Serialize for ApiError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("ApiError", 6)?;
        out.serialize_field("code", self.code())?;
        out.serialize_field("message", &self.to_string())?;
        if let Some(field) = self.field() {
            out.serialize_field("field", field)?;
        }
        if let ApiError::Invalid(errors) = self {
            out.serialize_field("problems", &errors.problems)?;
        }
        if let Some(secs) = self.retry_after_secs() {
            out.serialize_field("retry_after_secs", &secs)?;
        }
        if let Some(detail) = self.detail() {
            out.serialize_field("detail", detail)?;
        }
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};
    use serde_json::json;

    fn answer(status: u16, headers: &[(&'static str, &str)], body: serde_json::Value) -> ApiError {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        ApiError::from_response(status, &map, body.to_string().as_bytes())
    }

    #[test]
    fn a_server_refusal_keeps_its_words_and_names_its_field() {
        let err = answer(
            400,
            &[],
            json!({"success": false, "error": "Name must be between 2 and 50 characters"}),
        );
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"code": "invalid_input", "message": "Name must be between 2 and 50 characters", "field": "name"})
        );
    }

    #[test]
    fn a_rate_limit_says_how_long_to_wait() {
        let err = answer(
            429,
            &[("retry-after", "1500"), ("x-ratelimit-reset", "1764460800")],
            json!({"success": false, "error": "Too many requests. Please try again later."}),
        );
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({
                "code": "rate_limited",
                "message": "Atelier has asked this app to slow down. Try again in about 25 minutes.",
                "retry_after_secs": 1500
            })
        );
        let ApiError::RateLimited { reset_at, .. } = err else {
            unreachable!()
        };
        assert_eq!(reset_at.unwrap().unix(), 1_764_460_800);
    }

    #[test]
    fn statuses_map_to_stable_codes() {
        let body = json!({"success": false, "error": "x"});
        let codes: Vec<&str> = [401, 403, 404, 409, 500, 502, 418]
            .iter()
            .map(|s| answer(*s, &[], body.clone()).code())
            .collect();
        assert_eq!(
            codes,
            [
                "unauthorized",
                "forbidden",
                "not_found",
                "invalid_input",
                "server_error",
                "server_error",
                "unexpected_response"
            ]
        );
    }

    #[test]
    fn the_servers_words_travel_as_detail_when_the_message_paraphrases() {
        let err = answer(
            401,
            &[],
            json!({"success": false, "error": "Invalid or inactive API key"}),
        );
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["code"], "unauthorized");
        assert_eq!(json["detail"], "Invalid or inactive API key");
        assert!(json["message"]
            .as_str()
            .unwrap()
            .starts_with("Atelier didn't accept your API key"));
    }

    #[test]
    fn fields_are_read_from_server_messages() {
        let cases = [
            ("endpoint_url must be a valid URL", Some("endpoint_url")),
            (
                "Description must be between 10 and 500 characters",
                Some("description"),
            ),
            (
                "Invalid capabilities: painting. Valid: image_gen, custom",
                Some("capabilities"),
            ),
            (
                "category is required. Valid: image_gen, video_gen",
                Some("category"),
            ),
            (
                "deliverable_media_type must be one of: image, video",
                Some("deliverable_media_type"),
            ),
            (
                "payout_wallet must be a valid base58 Solana address",
                Some("payout_wallet"),
            ),
            (
                "Missing required fields: name, description, endpoint_url",
                None,
            ),
            ("Cannot deliver order with status \"delivered\".", None),
        ];
        for (message, field) in cases {
            assert_eq!(field_named_in(message), field, "{message}");
        }
    }

    #[test]
    fn waiting_is_phrased_for_people() {
        assert_eq!(wait_phrase(None), "Try again in a little while.");
        assert_eq!(wait_phrase(Some(20)), "Try again in a minute.");
        assert_eq!(wait_phrase(Some(61)), "Try again in about 2 minutes.");
        assert_eq!(wait_phrase(Some(60)), "Try again in about 1 minute.");
    }
}
