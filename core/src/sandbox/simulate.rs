//! The client's side of the sandbox, for Practice mode: its control endpoints over HTTP,
//! exactly as the tests and `docs/sandbox.md` use them.

use std::ops::RangeInclusive;
use std::time::Duration;

use rand::Rng;
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiError;
use crate::models::Order;

/// Chooses how Practice mode's pretend client pays: `later` (create, then pay a few
/// seconds on) or `at-once` (one request, already paid). See [`Payment::from_env`].
pub const PAYMENT_ENV: &str = "ATELIER_PRACTICE_PAYMENT";

/// When the pretend client pays for the order it places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    /// One request that creates the order already paid, so the very next order listing
    /// shows it (`ATELIER_PRACTICE_PAYMENT=at-once`).
    AtOnce,
    /// The real flow: the order is created (`quoted`) and paid after a wait drawn between
    /// `min` and `max`, as a client's wallet takes a moment to sign and send the transfer.
    Later { min: Duration, max: Duration },
}

impl Payment {
    /// What a real checkout takes between creating the order and paying for it, roughly.
    pub const REALISTIC: Payment = Payment::Later {
        min: Duration::from_secs(3),
        max: Duration::from_secs(8),
    };

    /// [`PAYMENT_ENV`] if set to `later` or `at-once`, else [`Payment::REALISTIC`]: the
    /// watcher follows an unpaid order through its free order page, so the creator
    /// rehearses the real flow and still hears of the payment within seconds.
    pub fn from_env() -> Payment {
        Payment::parse(std::env::var(PAYMENT_ENV).ok().as_deref())
    }

    fn parse(value: Option<&str>) -> Payment {
        match value.map(str::trim) {
            Some("at-once" | "one-step") => Payment::AtOnce,
            _ => Payment::REALISTIC,
        }
    }

    /// How long to wait before paying, `None` when paying at once.
    pub fn wait(&self) -> Option<Duration> {
        match *self {
            Payment::AtOnce => None,
            Payment::Later { min, max } => Some(pick(min..=max.max(min))),
        }
    }
}

fn pick(range: RangeInclusive<Duration>) -> Duration {
    let (min, max) = (range.start().as_millis(), range.end().as_millis());
    let millis = rand::rng().random_range(min..=max);
    Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// Has a pretend client pay for `service_id` on the sandbox at `base_url`, in one request.
pub async fn paid_order(base_url: &str, service_id: &str, brief: &str) -> Result<Order, ApiError> {
    place(base_url, service_id, brief, true).await
}

/// Has a pretend client create an order for `service_id` without paying: `quoted` for a
/// fixed price, `pending_quote` for a price on request.
pub async fn unpaid_order(
    base_url: &str,
    service_id: &str,
    brief: &str,
) -> Result<Order, ApiError> {
    place(base_url, service_id, brief, false).await
}

/// The pretend client pays for an order it created.
pub async fn pay(base_url: &str, order_id: &str) -> Result<Order, ApiError> {
    let url = control_url(base_url, &["sandbox", "orders", order_id, "pay"]);
    order_from(reqwest::Client::new().post(url)).await
}

async fn place(
    base_url: &str,
    service_id: &str,
    brief: &str,
    pay: bool,
) -> Result<Order, ApiError> {
    let request = reqwest::Client::new()
        .post(control_url(base_url, &["sandbox", "orders"]))
        .json(&json!({ "service_id": service_id, "brief": brief, "pay": pay }));
    order_from(request).await
}

/// `base_url` with `segments` appended, each percent-encoded: an order id is only text.
fn control_url(base_url: &str, segments: &[&str]) -> String {
    let base = format!("{}/", base_url.trim_end_matches('/'));
    match url::Url::parse(&base) {
        Ok(mut url) => {
            if let Ok(mut path) = url.path_segments_mut() {
                path.pop_if_empty().extend(segments);
            }
            url.into()
        }
        // Sending it fails with a transport error that says what is wrong.
        Err(_) => base,
    }
}

async fn order_from(request: reqwest::RequestBuilder) -> Result<Order, ApiError> {
    #[derive(Deserialize)]
    struct Placed {
        data: Order,
    }
    let (status, body) = crate::client::fetch(request).await?;
    serde_json::from_slice::<Placed>(&body)
        .map(|placed| placed.data)
        .map_err(|_| ApiError::UnexpectedResponse {
            status,
            detail: "the sandbox's order".to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_picks_later_or_at_once_and_defaults_to_later() {
        assert_eq!(Payment::parse(Some("later")), Payment::REALISTIC);
        assert_eq!(Payment::parse(Some(" two-step ")), Payment::REALISTIC);
        assert_eq!(Payment::parse(Some("at-once")), Payment::AtOnce);
        assert_eq!(Payment::parse(Some(" one-step")), Payment::AtOnce);
        assert_eq!(Payment::parse(Some("sometime")), Payment::REALISTIC);
        assert_eq!(Payment::parse(None), Payment::REALISTIC);
    }

    #[test]
    fn the_wait_stays_within_its_bounds() {
        assert_eq!(Payment::AtOnce.wait(), None);
        for _ in 0..200 {
            let wait = Payment::REALISTIC.wait().unwrap();
            assert!(
                (Duration::from_secs(3)..=Duration::from_secs(8)).contains(&wait),
                "{wait:?}"
            );
        }
        let backwards = Payment::Later {
            min: Duration::from_secs(2),
            max: Duration::from_secs(1),
        };
        assert_eq!(backwards.wait(), Some(Duration::from_secs(2)));
    }
}
