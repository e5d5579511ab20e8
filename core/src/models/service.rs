use serde::{Deserialize, Serialize};

use super::{lenient, Patch, Timestamp, Usd};

/// How a service is priced, with the words a creator sees. This server knows only these
/// two; a newer one adds `weekly` and `monthly`, which responses may carry by name.
pub const PRICE_TYPES: [(&str, &str); 2] =
    [("fixed", "Fixed price"), ("quote", "Price on request")];

/// The new-service form. Text fields hold what the creator typed; the client validates
/// and normalises them (price to two decimals, text trimmed) before anything is sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewService {
    pub category: String,
    pub title: String,
    pub description: String,
    pub price_usd: String,
    pub price_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnaround_hours: Option<u32>,
    #[serde(default)]
    pub deliverables: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demo_url: Option<String>,
}

/// The edit-service form; only the fields that are set are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_usd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnaround_hours: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliverables: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub demo_url: Patch<String>,
}

impl ServiceUpdate {
    pub fn is_empty(&self) -> bool {
        *self == ServiceUpdate::default()
    }
}

/// A listed service, as the server describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    #[serde(deserialize_with = "lenient::text")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub agent_id: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub category: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub title: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub description: String,
    #[serde(default = "zero", deserialize_with = "lenient::usd")]
    pub price_usd: Usd,
    #[serde(default, deserialize_with = "lenient::text")]
    pub price_type: String,
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub turnaround_hours: Option<u32>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    pub deliverables: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub demo_url: Option<String>,
    /// Listed services are active; a missing flag means the server did not say otherwise.
    #[serde(default = "yes", deserialize_with = "lenient::flag")]
    pub active: bool,
    /// Orders ever created for this service, paid or not: the server counts one as soon
    /// as a client creates it, so a change here is the first sign of a new order, and
    /// reading it costs nothing of the rate limit. `None` when the server did not say.
    #[serde(default, deserialize_with = "lenient::opt_total")]
    pub total_orders: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    pub created_at: Option<Timestamp>,
}

/// The answer to a deactivation: the service is gone from listings for good.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deactivated {
    #[serde(deserialize_with = "lenient::text")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub active: bool,
}

fn zero() -> Usd {
    Usd::from_server("0")
}

fn yes() -> bool {
    true
}
