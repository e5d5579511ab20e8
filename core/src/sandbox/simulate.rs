//! The client's side of the sandbox, for Practice mode: its control endpoints over HTTP,
//! exactly as the tests and `docs/sandbox.md` use them.

use std::ops::RangeInclusive;
use std::time::Duration;

use rand::Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

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
    act(base_url, order_id, ClientAction::Pay).await
}

/// The longest jump of the practice clock, or of one order's age: 30 days.
pub use super::control::MAX_ADVANCE_SECS;

/// What the pretend client may do with an order after placing it. Each is one
/// unauthenticated, unlimited control request (`docs/sandbox.md`); the marketplace refuses
/// one the order's status does not allow, with the server's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAction {
    /// Pays an unpaid (`quoted`) order.
    Pay,
    /// Cancels an order that is not paid yet.
    Cancel,
    /// Approves a delivery: `completed`, and the quoted price paid out to the creator's
    /// payout (or owner) wallet, recorded in `payout_tx_hash`.
    Approve,
    /// Approves a delivery but the payout transfer fails: `completed` with no
    /// `payout_tx_hash`, as the real server leaves it.
    ApproveWithoutPayout,
    /// Opens a dispute, from any status up to `delivered` (not once the order is
    /// completed, cancelled or disputed already).
    Dispute,
    /// Lets the review window of a delivered order lapse: the practice clock jumps just
    /// past its `review_deadline` (every order ages with it), then the order is
    /// auto-completed and paid out, as the platform's guide says.
    LapseReview,
}

impl ClientAction {
    fn endpoint(self) -> (&'static str, Option<Value>) {
        match self {
            ClientAction::Pay => ("pay", None),
            ClientAction::Cancel => ("cancel", None),
            ClientAction::Approve => ("complete", None),
            ClientAction::ApproveWithoutPayout => ("complete", Some(json!({ "payout": false }))),
            ClientAction::Dispute => ("dispute", None),
            ClientAction::LapseReview => ("lapse", None),
        }
    }
}

/// The pretend client acts on `order_id`; the answer is the order as it now is.
pub async fn act(base_url: &str, order_id: &str, action: ClientAction) -> Result<Order, ApiError> {
    let (step, body) = action.endpoint();
    let mut request = reqwest::Client::new().post(control_url(
        base_url,
        &["sandbox", "orders", order_id, step],
    ));
    if let Some(body) = body {
        request = request.json(&body);
    }
    order_from(request).await
}

/// What moving the practice clock did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockJump {
    pub advanced_secs: u64,
    /// Delivered orders whose review deadline passed in this jump; they stay `delivered`,
    /// as on the real server, which has no job that acts on a lapsed review window.
    #[serde(default)]
    pub lapsed_reviews: Vec<String>,
    /// Every order of the practice marketplace, newest first, with its times moved.
    #[serde(default)]
    pub orders: Vec<Order>,
}

/// Moves the practice marketplace's clock `secs` forward (1 to [`MAX_ADVANCE_SECS`]): every
/// stored time moves that far back, which is what time passing looks like to a client that
/// reads the real clock.
pub async fn advance_clock(base_url: &str, secs: u64) -> Result<ClockJump, ApiError> {
    let request = reqwest::Client::new()
        .post(control_url(base_url, &["sandbox", "clock"]))
        .json(&json!({ "advance_secs": secs }));
    data_from(request, "the sandbox's clock").await
}

/// Ages one order by `secs` (1 to [`MAX_ADVANCE_SECS`]), leaving the others as they are.
pub async fn age_order(base_url: &str, order_id: &str, secs: u64) -> Result<Order, ApiError> {
    let request = reqwest::Client::new()
        .post(control_url(
            base_url,
            &["sandbox", "orders", order_id, "age"],
        ))
        .json(&json!({ "advance_secs": secs }));
    order_from(request).await
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
    data_from(request, "the sandbox's order").await
}

async fn data_from<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<T, ApiError> {
    #[derive(Deserialize)]
    struct Answer<T> {
        data: T,
    }
    let (status, body) = crate::client::fetch(request).await?;
    serde_json::from_slice::<Answer<T>>(&body)
        .map(|answer| answer.data)
        .map_err(|_| ApiError::UnexpectedResponse {
            status,
            detail: what.to_owned(),
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
    fn each_client_action_has_its_endpoint_and_a_stable_name() {
        let names = [
            (ClientAction::Pay, "pay", "pay"),
            (ClientAction::Cancel, "cancel", "cancel"),
            (ClientAction::Approve, "approve", "complete"),
            (
                ClientAction::ApproveWithoutPayout,
                "approve_without_payout",
                "complete",
            ),
            (ClientAction::Dispute, "dispute", "dispute"),
            (ClientAction::LapseReview, "lapse_review", "lapse"),
        ];
        for (action, name, step) in names {
            assert_eq!(serde_json::to_value(action).unwrap(), json!(name));
            assert_eq!(
                serde_json::from_value::<ClientAction>(json!(name)).unwrap(),
                action
            );
            assert_eq!(action.endpoint().0, step);
        }
        assert_eq!(
            ClientAction::ApproveWithoutPayout.endpoint().1,
            Some(json!({ "payout": false }))
        );
        assert_eq!(ClientAction::Approve.endpoint().1, None);
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
