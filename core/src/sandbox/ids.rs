//! Identifiers, secrets and timestamps in the real server's formats.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::{Rng, RngCore};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `<prefix>_<epoch-ms>_<9 base36 chars>`, like the server's
/// `Date.now()` + `Math.random().toString(36)`.
pub fn new_id(prefix: &str) -> String {
    const BASE36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let suffix: String = (0..9)
        .map(|_| char::from(BASE36[rng.random_range(0..BASE36.len())]))
        .collect();
    format!("{prefix}_{}_{suffix}", now_ms())
}

/// `atelier_` + 24 random bytes in lowercase hex.
/// What the sandbox stores instead of a key: its SHA-256, so the practice marketplace's
/// data file never holds a usable key (the app promises no key on disk in clear).
pub fn key_digest(key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

pub fn new_api_key() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("atelier_{hex}")
}

/// A random Solana-style address: 32 random bytes in base58.
pub fn new_wallet() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bs58::encode(bytes).into_string()
}

/// A random Solana-style transaction signature: 64 random bytes in base58.
pub fn new_tx_signature() -> String {
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    bs58::encode(bytes).into_string()
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// SQLite's `CURRENT_TIMESTAMP` format: `YYYY-MM-DD HH:MM:SS`, UTC.
const SQLITE_TIME: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

/// JavaScript's `toISOString()`, which the real server uses for a few columns
/// (`workspace_expires_at`).
const ISO_TIME: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// SQLite's `CURRENT_TIMESTAMP` format, UTC, `after` from now.
pub fn timestamp_in(after: Duration) -> String {
    let when = OffsetDateTime::now_utc() + after;
    when.format(SQLITE_TIME).unwrap_or_default()
}

/// A stored time, in either of the server's two formats, as a UTC instant.
fn parse_stored(stored: &str) -> Option<(OffsetDateTime, bool)> {
    if let Ok(t) = PrimitiveDateTime::parse(stored, SQLITE_TIME) {
        return Some((t.assume_utc(), true));
    }
    OffsetDateTime::parse(stored, &Rfc3339)
        .ok()
        .map(|t| (t.to_offset(UtcOffset::UTC), false))
}

/// `stored` moved `by` earlier, written back in its own format (`YYYY-MM-DD HH:MM:SS`, or
/// ISO 8601 as `toISOString()` writes it). `None` when it cannot be read or moved, so the
/// caller leaves it as it is.
pub fn earlier(stored: &str, by: Duration) -> Option<String> {
    let (when, sqlite) = parse_stored(stored)?;
    let moved = when.checked_sub(time::Duration::try_from(by).ok()?)?;
    moved
        .format(if sqlite { SQLITE_TIME } else { ISO_TIME })
        .ok()
}

/// Whole seconds from now (to the second, as stored times are) until `stored`; negative
/// once it has passed, `None` when it cannot be read.
pub fn secs_until(stored: &str) -> Option<i64> {
    let (when, _) = parse_stored(stored)?;
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).ok()?;
    Some((when - now).whole_seconds())
}

pub fn timestamp_now() -> String {
    timestamp_in(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_the_servers() {
        let id = new_id("svc");
        let parts: Vec<&str> = id.split('_').collect();
        assert_eq!(parts.len(), 3, "{id}");
        assert_eq!(parts[0], "svc");
        assert!(parts[1].len() >= 13 && parts[1].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(parts[2].len(), 9);
        assert!(parts[2]
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
    }

    #[test]
    fn keys_are_48_lowercase_hex_chars() {
        let key = new_api_key();
        let hex = key.strip_prefix("atelier_").unwrap_or_default();
        assert_eq!(hex.len(), 48);
        assert!(hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_ne!(new_api_key(), key);
    }

    #[test]
    fn wallets_decode_to_32_bytes() {
        let wallet = new_wallet();
        assert_eq!(
            bs58::decode(&wallet).into_vec().map(|v| v.len()).ok(),
            Some(32)
        );
    }

    #[test]
    fn tx_signatures_decode_to_64_bytes() {
        let signature = new_tx_signature();
        assert_eq!(
            bs58::decode(&signature).into_vec().map(|v| v.len()).ok(),
            Some(64),
            "{signature}"
        );
        assert_ne!(new_tx_signature(), signature);
    }

    #[test]
    fn a_stored_time_moves_earlier_in_its_own_format() {
        let day = Duration::from_secs(86_400);
        assert_eq!(
            earlier("2025-03-01 00:00:10", day).as_deref(),
            Some("2025-02-28 00:00:10")
        );
        assert_eq!(
            earlier("2025-03-01 00:00:10", Duration::from_secs(11)).as_deref(),
            Some("2025-02-28 23:59:59")
        );
        assert_eq!(
            earlier("2025-02-17T12:00:00.250Z", Duration::from_secs(3600)).as_deref(),
            Some("2025-02-17T11:00:00.250Z")
        );
        assert_eq!(
            earlier("2025-02-17T12:00:00+02:00", Duration::ZERO).as_deref(),
            Some("2025-02-17T10:00:00.000Z")
        );
        assert_eq!(earlier("yesterday", day), None);
        assert_eq!(
            earlier("2025-03-01 00:00:10", Duration::from_secs(u64::MAX / 2)),
            None,
            "no panic past the calendar's edge"
        );
    }

    #[test]
    fn seconds_until_a_stored_time_count_down_to_negative() {
        let ahead = secs_until(&timestamp_in(Duration::from_secs(3600))).unwrap();
        assert!((3599..=3600).contains(&ahead), "{ahead}");
        let past = earlier(&timestamp_now(), Duration::from_secs(90)).unwrap();
        let behind = secs_until(&past).unwrap();
        assert!((-91..=-89).contains(&behind), "{behind}");
        assert_eq!(secs_until("not a time"), None);
    }

    #[test]
    fn timestamps_are_sqlite_style() {
        let ts = timestamp_now();
        assert_eq!(ts.len(), 19, "{ts}");
        assert_eq!(&ts[10..11], " ");
        assert!(!ts.contains('T') && !ts.contains('Z'));
    }
}
