//! Identifiers, secrets and timestamps in the real server's formats.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::{Rng, RngCore};
use time::macros::format_description;
use time::OffsetDateTime;

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

/// SQLite's `CURRENT_TIMESTAMP` format, UTC, `after` from now.
pub fn timestamp_in(after: Duration) -> String {
    let when = OffsetDateTime::now_utc() + after;
    when.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
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
    fn timestamps_are_sqlite_style() {
        let ts = timestamp_now();
        assert_eq!(ts.len(), 19, "{ts}");
        assert_eq!(&ts[10..11], " ");
        assert!(!ts.contains('T') && !ts.contains('Z'));
    }
}
