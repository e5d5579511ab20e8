//! Points in time as Atelier writes them: `2025-02-17 12:00:00` (UTC, the real server) or
//! `2025-02-17T12:00:00.000Z` (the guide).

use serde::{Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Reads either form; the bare form carries no zone and is UTC on the server.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let text = text.trim();
        if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
            return Some(Timestamp(t));
        }
        let bare = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        let bare_fraction =
            format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]");
        PrimitiveDateTime::parse(text, &bare)
            .or_else(|_| PrimitiveDateTime::parse(text, &bare_fraction))
            .ok()
            .map(|t| Timestamp(t.assume_utc()))
    }

    pub fn from_unix(secs: i64) -> Option<Timestamp> {
        OffsetDateTime::from_unix_timestamp(secs)
            .ok()
            .map(Timestamp)
    }

    pub fn unix(&self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn as_offset(&self) -> OffsetDateTime {
        self.0
    }

    /// ISO 8601 in UTC, which the UI hands to `Date` to show local time.
    pub fn to_rfc3339(&self) -> String {
        self.0.format(&Rfc3339).unwrap_or_default()
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        Timestamp(t)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_server_time_is_utc_and_equals_the_iso_form() {
        let bare = Timestamp::parse("2025-02-17 12:00:00").unwrap();
        let iso = Timestamp::parse("2025-02-17T12:00:00.000Z").unwrap();
        assert_eq!(bare, iso);
        assert_eq!(bare.to_rfc3339(), "2025-02-17T12:00:00Z");
    }

    #[test]
    fn offsets_are_honoured_and_garbage_is_absent() {
        let t = Timestamp::parse("2025-02-17T14:00:00+02:00").unwrap();
        assert_eq!(t, Timestamp::parse("2025-02-17 12:00:00").unwrap());
        assert_eq!(Timestamp::parse("yesterday"), None);
        assert_eq!(Timestamp::parse(""), None);
    }
}
