use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{lenient, Timestamp};

/// The registration form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewAgent {
    pub name: String,
    pub description: String,
    pub endpoint_url: String,
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_wallet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// What registration gives back. The key is shown to the creator once and then lives in
/// the OS keyring; it is deliberately neither `Serialize` nor `Debug`-printable.
pub struct Registration {
    pub agent_id: String,
    pub api_key: SecretString,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("agent_id", &self.agent_id)
            .field("api_key", &"[redacted]")
            .finish()
    }
}

/// A field that a PATCH may leave alone, clear (JSON `null`) or set. `Option` cannot tell
/// "leave alone" from "clear", and resetting the payout wallet is exactly a `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    pub fn as_set(&self) -> Option<&T> {
        match self {
            Patch::Set(v) => Some(v),
            _ => None,
        }
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // Callers skip `Keep` with `skip_serializing_if`; if one forgets, null would
            // silently clear the field, so refuse loudly instead.
            Patch::Keep => Err(serde::ser::Error::custom("Patch::Keep must be skipped")),
            Patch::Clear => s.serialize_none(),
            Patch::Set(v) => v.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    /// Present-and-null is `Clear`; a missing field falls to `#[serde(default)]`, i.e. `Keep`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Patch::Set(v),
            None => Patch::Clear,
        })
    }
}

/// The profile edit form; only the fields that are set are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub avatar_url: Patch<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub payout_wallet: Patch<String>,
}

/// The agent as `GET /agents/me` describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentProfile {
    #[serde(deserialize_with = "lenient::text")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub description: String,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub avatar_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub endpoint_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    pub capabilities: Vec<String>,
    /// Only ever the masked form (`atelier_...abcd`). `PATCH /agents/me` answers with the
    /// full key; it is masked here, while decoding, so no caller can ever hold it.
    #[serde(
        default,
        rename(deserialize = "api_key", serialize = "key_hint"),
        deserialize_with = "masked_key"
    )]
    pub api_key_hint: Option<String>,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub verified: bool,
    #[serde(default, deserialize_with = "lenient::count")]
    pub total_orders: u64,
    #[serde(default, deserialize_with = "lenient::count")]
    pub completed_orders: u64,
    #[serde(default, deserialize_with = "lenient::opt_rating")]
    pub avg_rating: Option<f64>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub owner_wallet: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub payout_wallet: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_time")]
    pub created_at: Option<Timestamp>,
}

impl AgentProfile {
    /// Where earnings actually go: the payout wallet, or the owner wallet when none is set.
    pub fn effective_payout_wallet(&self) -> Option<&str> {
        self.payout_wallet
            .as_deref()
            .or(self.owner_wallet.as_deref())
    }
}

/// `atelier_...abcd`: enough to recognise a key, useless to anyone who sees it.
pub fn mask_key(key: &str) -> String {
    let tail: String = {
        let chars: Vec<char> = key.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    };
    format!("atelier_...{tail}")
}

/// Whether `key` is exactly the server's mask of a key: `atelier_...` and the key's last
/// four (hex) characters. A real key (`atelier_` and 48 hex characters) never is.
pub fn is_masked_key(key: &str) -> bool {
    key.strip_prefix("atelier_...")
        .is_some_and(|tail| tail.len() == 4 && tail.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Anything that is not exactly a mask is masked here: passing through a string that only
/// looks masked could show a key.
fn masked_key<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let raw = lenient::opt_text(d)?.map(SecretString::from);
    Ok(raw.map(|key| {
        let key = key.expose_secret();
        if is_masked_key(key) {
            key.to_owned()
        } else {
            mask_key(key)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reset_payout_wallet_sends_null_and_untouched_fields_are_absent() {
        let reset = ProfileUpdate {
            payout_wallet: Patch::Clear,
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&reset).unwrap(),
            json!({"payout_wallet": null})
        );
        let untouched = ProfileUpdate {
            name: Some("Ada".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&untouched).unwrap(),
            json!({"name": "Ada"})
        );
    }

    #[test]
    fn patch_reads_absent_null_and_value_apart() {
        let absent: ProfileUpdate = serde_json::from_value(json!({})).unwrap();
        let null: ProfileUpdate = serde_json::from_value(json!({"payout_wallet": null})).unwrap();
        let set: ProfileUpdate = serde_json::from_value(json!({"payout_wallet": "W"})).unwrap();
        assert_eq!(absent.payout_wallet, Patch::Keep);
        assert_eq!(null.payout_wallet, Patch::Clear);
        assert_eq!(set.payout_wallet, Patch::Set("W".into()));
    }

    #[test]
    fn a_full_key_in_a_profile_is_masked_while_decoding() {
        let key = format!("atelier_{}", "ab12".repeat(12));
        let profile: AgentProfile =
            serde_json::from_value(json!({"id": "ext_1", "api_key": key})).unwrap();
        assert_eq!(profile.api_key_hint.as_deref(), Some("atelier_...ab12"));
        assert!(!format!("{profile:?}").contains(&key));
        assert!(!serde_json::to_string(&profile).unwrap().contains(&key));
    }

    fn hint_for(api_key: &str) -> String {
        let profile: AgentProfile =
            serde_json::from_value(json!({"id": "ext_1", "api_key": api_key})).unwrap();
        profile.api_key_hint.unwrap()
    }

    #[test]
    fn only_the_servers_own_mask_is_taken_as_already_masked() {
        assert_eq!(hint_for("atelier_...ab12"), "atelier_...ab12");
        let real = format!("atelier_{}", "0123456789abcdef".repeat(3));
        assert_eq!(hint_for(&real), "atelier_...cdef");
        // Anything else holding "..." could be (part of) a key: it is masked, never shown.
        for not_a_mask in [
            "atelier_...0123456789abcdef0123",
            "atelier_0123...89abcdef0123456789abcdef0123456789abcdef01234567",
            "...secretsecret",
            "atelier_...ab1",
        ] {
            let hint = hint_for(not_a_mask);
            assert_ne!(hint, not_a_mask);
            assert!(
                hint.starts_with("atelier_...") && hint.chars().count() == 15,
                "{hint}"
            );
        }
    }

    #[test]
    fn a_real_key_is_never_taken_for_a_mask_nor_a_mask_for_a_key() {
        let real = format!("atelier_{}", "9f".repeat(24));
        assert!(!is_masked_key(&real));
        assert!(is_masked_key(&mask_key(&real)));
        assert!(is_masked_key("atelier_...AB12"));
        for not_a_mask in [
            "atelier_...",
            "atelier_...ab123",
            "atelier_...wxyz",
            "atelier_ab12",
        ] {
            assert!(!is_masked_key(not_a_mask), "{not_a_mask}");
        }
    }
}
