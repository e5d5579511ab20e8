use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{lenient, Timestamp, Usd};

/// Where an order is in its life. Statuses this app does not know (a newer server adds
/// some) are kept by name and shown as such, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    PendingQuote,
    Quoted,
    Accepted,
    Paid,
    InProgress,
    Delivered,
    RevisionRequested,
    Completed,
    Disputed,
    Cancelled,
    Other(String),
}

impl OrderStatus {
    const KNOWN: [(&'static str, OrderStatus); 10] = [
        ("pending_quote", OrderStatus::PendingQuote),
        ("quoted", OrderStatus::Quoted),
        ("accepted", OrderStatus::Accepted),
        ("paid", OrderStatus::Paid),
        ("in_progress", OrderStatus::InProgress),
        ("delivered", OrderStatus::Delivered),
        ("revision_requested", OrderStatus::RevisionRequested),
        ("completed", OrderStatus::Completed),
        ("disputed", OrderStatus::Disputed),
        ("cancelled", OrderStatus::Cancelled),
    ];

    pub fn parse(name: &str) -> OrderStatus {
        Self::KNOWN
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, status)| status.clone())
            .unwrap_or_else(|| OrderStatus::Other(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            OrderStatus::Other(name) => name,
            known => Self::KNOWN
                .iter()
                .find(|(_, status)| status == known)
                .map(|(name, _)| *name)
                .unwrap_or_default(),
        }
    }

    /// Paid for and waiting on the creator: the statuses this server accepts a delivery in.
    pub fn is_payable(&self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::InProgress)
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for OrderStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OrderStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = lenient::opt_text(d)?.unwrap_or_else(|| "unknown".to_owned());
        Ok(OrderStatus::parse(&name))
    }
}

/// What a delivery can be, with the words a creator sees.
pub const MEDIA_TYPES: [(&str, &str); 2] = [("image", "Image"), ("video", "Video")];

/// Guesses the media type from a deliverable URL's file extension, for pre-selecting it.
pub struct MediaType;

impl MediaType {
    pub fn guess_from_url(url: &str) -> Option<&'static str> {
        let path = url.split(['?', '#']).next()?;
        let last = path.rsplit('/').next()?;
        let (_, ext) = last.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "avif" | "bmp" | "svg" | "heic" | "tif"
            | "tiff" => Some("image"),
            "mp4" | "mov" | "webm" | "mkv" | "avi" | "m4v" | "mpeg" | "mpg" => Some("video"),
            _ => None,
        }
    }
}

/// The delivery form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub deliverable_url: String,
    pub deliverable_media_type: String,
}

/// An order placed with this agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    #[serde(deserialize_with = "lenient::text")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub service_id: String,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub service_title: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub client_wallet: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub brief: String,
    pub status: OrderStatus,
    /// What the creator receives: Atelier sends all of it on approval.
    #[serde(default, deserialize_with = "lenient::opt_usd")]
    pub quoted_price_usd: Option<Usd>,
    /// Atelier's share, paid by the client on top of the price (10 % of it on this server).
    #[serde(default, deserialize_with = "lenient::opt_usd")]
    pub platform_fee_usd: Option<Usd>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    pub created_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub deliverable_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub deliverable_media_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    pub delivered_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    pub review_deadline: Option<Timestamp>,
    /// When the order became `completed` (approved, or its review time ran out).
    #[serde(default, deserialize_with = "lenient::opt_time")]
    pub completed_at: Option<Timestamp>,
    /// The payout transfer Atelier recorded on completion; absent on a completed order
    /// when that transfer failed.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub payout_tx_hash: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_by_name_including_unknown_ones() {
        for name in [
            "paid",
            "in_progress",
            "revision_requested",
            "on_hold_by_moderator",
        ] {
            assert_eq!(OrderStatus::parse(name).as_str(), name);
        }
        assert_eq!(OrderStatus::parse("paid"), OrderStatus::Paid);
        assert_eq!(
            OrderStatus::parse("Paid"),
            OrderStatus::Other("Paid".into())
        );
    }

    #[test]
    fn only_paid_and_in_progress_are_payable_here() {
        assert!(OrderStatus::Paid.is_payable());
        assert!(OrderStatus::InProgress.is_payable());
        assert!(!OrderStatus::Delivered.is_payable());
        assert!(!OrderStatus::Other("paid ".into()).is_payable());
    }

    #[test]
    fn payout_fields_are_read_and_survive_a_round_trip_through_the_kept_file() {
        let order: Order = serde_json::from_value(serde_json::json!({
            "id": "ord_1", "status": "completed", "quoted_price_usd": "5.00",
            "platform_fee_usd": "0.5", "completed_at": "2025-02-19 13:00:00",
            "payout_tx_hash": "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW",
        }))
        .unwrap();
        assert_eq!(order.platform_fee_usd, Some(Usd::from_server("0.5")));
        assert_eq!(order.completed_at, Timestamp::parse("2025-02-19T13:00:00Z"));
        assert!(order.payout_tx_hash.as_deref().unwrap().starts_with("5VER"));
        let again: Order = serde_json::from_str(&serde_json::to_string(&order).unwrap()).unwrap();
        assert_eq!(again, order);
    }

    #[test]
    fn an_order_kept_before_the_payout_fields_existed_still_loads() {
        // What `desk/inbox.rs` wrote before these fields were added.
        let old = r#"{"id":"ord_1","service_id":"svc_1","service_title":"Neon",
            "client_wallet":null,"brief":"b","status":"delivered","quoted_price_usd":"5.00",
            "created_at":"2025-02-17T12:00:00Z","deliverable_url":"https://x.io/a.png",
            "deliverable_media_type":"image","delivered_at":"2025-02-17T13:00:00Z",
            "review_deadline":"2025-02-19T13:00:00Z"}"#;
        let order: Order = serde_json::from_str(old).unwrap();
        assert_eq!(order.status, OrderStatus::Delivered);
        assert_eq!(order.quoted_price_usd, Some(Usd::from_server("5.00")));
        assert_eq!(order.platform_fee_usd, None);
        assert_eq!(order.completed_at, None);
        assert_eq!(order.payout_tx_hash, None);
    }

    #[test]
    fn empty_or_odd_payout_fields_mean_not_set() {
        let order: Order = serde_json::from_value(serde_json::json!({
            "id": "ord_1", "status": "completed", "platform_fee_usd": null,
            "completed_at": "soon", "payout_tx_hash": "  ",
        }))
        .unwrap();
        assert_eq!(order.platform_fee_usd, None);
        assert_eq!(order.completed_at, None);
        assert_eq!(order.payout_tx_hash, None);
    }

    #[test]
    fn media_type_is_guessed_from_the_extension() {
        assert_eq!(
            MediaType::guess_from_url("https://x.io/a/result.PNG?sig=1"),
            Some("image")
        );
        assert_eq!(
            MediaType::guess_from_url("https://x.io/clip.mp4#t=2"),
            Some("video")
        );
        assert_eq!(MediaType::guess_from_url("https://x.io/folder/"), None);
        assert_eq!(MediaType::guess_from_url("https://x.io/file.zip"), None);
    }
}
