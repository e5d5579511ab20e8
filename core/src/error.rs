//! The one error type of the Atelier API boundary. Every variant has a stable `code` the UI
//! can branch on and a message a creator understands; it serialises as
//! `{code, message, field?, problems?, retry_after_secs?, detail?}`.

use std::error::Error as _;
use std::time::{Duration, SystemTime};

use time::macros::format_description;
use time::PrimitiveDateTime;

use crate::models::Timestamp;
use crate::validate::{FieldError, ValidationErrors};

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

    #[error("Atelier sent an answer Atelier Desk doesn't understand (status {status}), most likely a passing problem with the server or the connection. Try again in a few minutes.")]
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
            ApiError::NotSignedIn => "not_signed_in",
            ApiError::Unauthorized { .. } => "unauthorized",
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
            429 => {
                let now = SystemTime::now();
                ApiError::RateLimited {
                    retry_after_secs: retry_after_secs(headers, now),
                    reset_at: header_text(headers, "x-ratelimit-reset")
                        .and_then(|value| parse_rate_limit_reset(value, now)),
                }
            }
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

/// The longest a 429 may keep this app from calling Atelier. The server's window is one
/// fixed hour, so it never asks for more than 3600 s; an hour on top absorbs clocks that
/// disagree. Anything longer is a broken or hostile answer, and obeying it would leave the
/// creator without new orders for days (or, added to a time, overflow it).
pub const LONGEST_RATE_LIMIT_WAIT: Duration = Duration::from_secs(2 * 3600);

fn header_text<'h>(headers: &'h reqwest::header::HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok()
}

fn retry_after_secs(headers: &reqwest::header::HeaderMap, now: SystemTime) -> Option<u64> {
    let value = header_text(headers, "retry-after")?;
    // An HTTP date is the server's clock; measuring it from the server's own `Date` keeps a
    // wrong clock on this computer from stretching or cutting the wait.
    let reference = header_text(headers, "date")
        .and_then(parse_http_date)
        .unwrap_or(now);
    parse_retry_after(value, reference)
}

/// `Retry-After` as seconds to wait from `reference` (when the answer was sent): either
/// delta-seconds or an HTTP date (IMF-fixdate), at most [`LONGEST_RATE_LIMIT_WAIT`]. A date
/// already past means "now" (0). Anything else (negative, fractional, garbage) is `None`,
/// as if the header were absent.
pub fn parse_retry_after(value: &str, reference: SystemTime) -> Option<u64> {
    let value = value.trim();
    let longest = LONGEST_RATE_LIMIT_WAIT.as_secs();
    if let Some(secs) = delta_seconds(value) {
        return Some(secs.min(longest));
    }
    let at = parse_http_date(value)?;
    let wait = at.duration_since(reference).unwrap_or_default();
    Some(wait.as_secs().min(longest))
}

/// `X-RateLimit-Reset` (Unix seconds), no later than [`LONGEST_RATE_LIMIT_WAIT`] after
/// `now`. Negative or garbage is `None`.
pub fn parse_rate_limit_reset(value: &str, now: SystemTime) -> Option<Timestamp> {
    let unix = delta_seconds(value.trim())?;
    let latest = now
        .checked_add(LONGEST_RATE_LIMIT_WAIT)
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(u64::MAX, |d| d.as_secs());
    Timestamp::from_unix(i64::try_from(unix.min(latest)).ok()?)
}

/// Digits only (`u64::from_str` would also take a leading `+`). Too many digits to fit is
/// still a valid, absurdly long wait, so it saturates rather than failing.
fn delta_seconds(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(value.parse().unwrap_or(u64::MAX))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only form HTTP servers send today.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = PrimitiveDateTime::parse(value.trim(), &format)
        .ok()?
        .assume_utc();
    let secs = u64::try_from(at.unix_timestamp()).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
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

/// What the page receives from any failed command, whichever error enum it came from:
/// `{code, message, field?, problems?, retry_after_secs?, detail?}` (docs/commands.md).
#[derive(Debug, Default, serde::Serialize)]
pub struct ErrorView<'a> {
    pub code: &'a str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<&'a [FieldError]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
}

/// An error the page can branch on: a stable code, plain words, and what else applies.
pub trait PageError: std::fmt::Display {
    fn code(&self) -> &'static str;

    fn view(&self) -> ErrorView<'_> {
        ErrorView {
            code: self.code(),
            message: self.to_string(),
            ..ErrorView::default()
        }
    }
}

/// Serialises each listed type through its [`PageError::view`]: one shape for every
/// error the page can receive.
#[macro_export]
macro_rules! serialize_as_page_error {
    ($($error:ty),+ $(,)?) => {$(
        impl serde::Serialize for $error {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&$crate::error::PageError::view(self), s)
            }
        }
    )+};
}

impl PageError for ApiError {
    fn code(&self) -> &'static str {
        ApiError::code(self)
    }

    fn view(&self) -> ErrorView<'_> {
        ErrorView {
            code: ApiError::code(self),
            message: self.to_string(),
            field: self.field(),
            problems: match self {
                ApiError::Invalid(errors) => Some(errors.problems.as_slice()),
                _ => None,
            },
            retry_after_secs: self.retry_after_secs(),
            detail: self.detail(),
        }
    }
}

serialize_as_page_error!(ApiError);

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

    fn wait_asked_by(headers: &[(&'static str, &str)]) -> Option<u64> {
        answer(429, headers, json!({"success": false})).retry_after_secs()
    }

    const SERVER_NOW: &str = "Sun, 30 Nov 2025 12:00:00 GMT";

    #[test]
    fn an_absurd_retry_after_is_cut_to_two_hours() {
        for absurd in [
            "18446744073709551615",
            "100000000000",
            "99999999999999999999999999",
        ] {
            assert_eq!(
                wait_asked_by(&[("retry-after", absurd)]),
                Some(7200),
                "{absurd}"
            );
        }
        assert_eq!(wait_asked_by(&[("retry-after", "3600")]), Some(3600));
        assert_eq!(wait_asked_by(&[("retry-after", "0")]), Some(0));
    }

    #[test]
    fn a_negative_or_garbled_retry_after_counts_as_not_given() {
        for garbage in [
            "-5",
            "+60",
            "1.5",
            "soon",
            "",
            "60 s",
            "0x10",
            "Sun, 30 Nov 2025",
        ] {
            assert_eq!(
                wait_asked_by(&[("retry-after", garbage)]),
                None,
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn a_retry_after_date_is_measured_from_the_servers_clock() {
        let ten_minutes_on = [
            ("date", SERVER_NOW),
            ("retry-after", "Sun, 30 Nov 2025 12:10:00 GMT"),
        ];
        assert_eq!(wait_asked_by(&ten_minutes_on), Some(600));
        let next_year = [
            ("date", SERVER_NOW),
            ("retry-after", "Mon, 30 Nov 2026 12:00:00 GMT"),
        ];
        assert_eq!(wait_asked_by(&next_year), Some(7200));
    }

    #[test]
    fn a_retry_after_date_already_past_means_now() {
        let past = [
            ("date", SERVER_NOW),
            ("retry-after", "Sun, 30 Nov 2025 11:00:00 GMT"),
        ];
        assert_eq!(wait_asked_by(&past), Some(0));
        // Without the server's clock, this computer's: 1994 is long gone.
        assert_eq!(
            wait_asked_by(&[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")]),
            Some(0)
        );
    }

    #[test]
    fn a_reset_time_is_at_most_two_hours_away_and_garbage_is_ignored() {
        let reset_named = |value: &str| {
            let ApiError::RateLimited { reset_at, .. } =
                answer(429, &[("x-ratelimit-reset", value)], json!({}))
            else {
                unreachable!()
            };
            reset_at.map(|r| r.unix())
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for absurd in ["18446744073709551615", "99999999999"] {
            let reset = reset_named(absurd).expect("an absurd reset is clamped, not dropped");
            assert!(
                (now + 7199..=now + 7201).contains(&reset),
                "{absurd}: {reset} vs now {now}"
            );
        }
        for garbage in ["-1", "tomorrow", "1.5e9", ""] {
            assert_eq!(reset_named(garbage), None, "{garbage:?}");
        }
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
