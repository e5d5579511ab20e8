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
    #[serde(default, deserialize_with = "lenient::opt_usd")]
    pub quoted_price_usd: Option<Usd>,
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
