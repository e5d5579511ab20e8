//! Client-side checks that mirror the server's rules (and are a little stricter where the
//! server is lax, e.g. wallets). Every problem is reported at once, each with the form
//! field it belongs to, in words a creator understands. Validators return the cleaned-up
//! request that is actually sent: text trimmed, prices normalised to cents.

use serde::Serialize;
use url::Url;

use crate::models::{
    is_capability, Delivery, NewAgent, NewService, Patch, ProfileUpdate, ServiceUpdate, Usd,
    MEDIA_TYPES, PRICE_TYPES,
};

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem found in one form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationErrors {
    pub problems: Vec<FieldError>,
}

impl ValidationErrors {
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = ValidationErrors::default();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// Records the outcome of one field's check and passes its value on.
    fn check<T>(&mut self, field: &str, outcome: Result<T, String>) -> Option<T> {
        outcome.map_err(|message| self.add(field, message)).ok()
    }

    pub fn message_for(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    fn finish<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.problems.as_slice() {
            [] => f.write_str("Everything looks fine."),
            [only] => f.write_str(&only.message),
            [first, rest @ ..] => {
                write!(f, "{} (and {} more to fix)", first.message, rest.len())
            }
        }
    }
}

impl std::error::Error for ValidationErrors {}

/// Length as the server counts it: JavaScript's `.length`, i.e. UTF-16 code units.
fn js_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn length(value: &str, min: usize, max: usize, what: &str) -> Result<String, String> {
    let value = value.trim();
    let n = js_len(value);
    if n == 0 {
        Err(format!("Please enter {what}."))
    } else if n < min {
        Err(format!("Use at least {min} characters (now {n})."))
    } else if n > max {
        Err(format!("Use at most {max} characters (now {n})."))
    } else {
        Ok(value.to_owned())
    }
}

/// A web address people can open: http or https, with a host.
pub fn web_url(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("Please enter a web address starting with https://".into());
    }
    let hint = "Enter a full web address starting with https://";
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(value.to_owned())
        }
        Ok(_) => Err(format!("{hint} (or http://).")),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            Err(format!("{hint} — add https:// at the start."))
        }
        Err(_) => Err(format!("{hint}; this one isn't a valid address.")),
    }
}

/// A Solana address: base58 text that decodes to exactly 32 bytes. The server only checks
/// the alphabet and length, which lets typos through that would send money nowhere.
pub fn solana_wallet(value: &str) -> Result<String, String> {
    const ALPHABET: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let value = value.trim();
    if value.is_empty() {
        return Err("Please paste a Solana wallet address.".into());
    }
    if let Some(bad) = value.chars().find(|c| !ALPHABET.contains(*c)) {
        let shown = if bad.is_whitespace() {
            "a space".to_owned()
        } else {
            format!("“{bad}”")
        };
        return Err(format!(
            "A Solana address never contains {shown}. It uses letters and digits only, \
             without 0, O, I or l. Copy it again from your wallet app."
        ));
    }
    let n = value.chars().count();
    if !(32..=44).contains(&n) {
        return Err(format!(
            "A Solana address is 32 to 44 characters long; this one has {n}. \
             Copy the whole address from your wallet app."
        ));
    }
    match bs58::decode(value).into_vec() {
        Ok(bytes) if bytes.len() == 32 => Ok(value.to_owned()),
        _ => Err(
            "This isn't a valid Solana address (it doesn't decode to a 32-byte key). \
                  Copy it again from your wallet app."
                .into(),
        ),
    }
}

pub fn price(value: &str) -> Result<String, String> {
    Usd::parse(value)
        .map(|usd| usd.as_str().to_owned())
        .map_err(|e| e.to_string())
}

/// Turnaround as typed in a form: empty means "not given" (Atelier then assumes 48 hours).
pub fn turnaround_text(value: &str) -> Result<Option<u32>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<u64>() {
        Ok(hours) => turnaround(hours).map(Some),
        Err(_) => Err("Use a whole number of hours, for example 24.".into()),
    }
}

fn turnaround(hours: u64) -> Result<u32, String> {
    if hours == 0 {
        return Err("Allow at least 1 hour.".into());
    }
    u32::try_from(hours).map_err(|_| "That is more hours than any order could wait.".into())
}

fn one_of(value: &str, allowed: &[(&str, &str)], what: &str) -> Result<String, String> {
    let value = value.trim();
    if allowed.iter().any(|(id, _)| *id == value) {
        return Ok(value.to_owned());
    }
    let names: Vec<&str> = allowed.iter().map(|(_, label)| *label).collect();
    Err(format!("Choose {what}: {}.", names.join(", ")))
}

fn category(value: &str) -> Result<String, String> {
    one_of(value, &crate::models::CAPABILITIES, "a category")
}

fn capabilities(values: &[String]) -> Result<Vec<String>, String> {
    let mut clean: Vec<String> = Vec::new();
    for value in values.iter().map(|v| v.trim()) {
        if !is_capability(value) {
            return Err(format!(
                "“{value}” isn't something Atelier lists; pick from the boxes."
            ));
        }
        if !clean.iter().any(|c| c == value) {
            clean.push(value.to_owned());
        }
    }
    Ok(clean)
}

fn deliverables(values: &[String]) -> Result<Vec<String>, String> {
    Ok(values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect())
}

/// An optional text field: blank means "not given".
fn optional(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub fn new_agent(form: &NewAgent) -> Result<NewAgent, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let name = e.check("name", length(&form.name, 2, 50, "a name for your agent"));
    let description = e.check(
        "description",
        length(&form.description, 10, 500, "a short description"),
    );
    let endpoint_url = e.check("endpoint_url", web_url(&form.endpoint_url));
    let capabilities = e.check("capabilities", capabilities(&form.capabilities));
    let owner_wallet =
        optional(&form.owner_wallet).and_then(|w| e.check("owner_wallet", solana_wallet(w)));
    let avatar_url = optional(&form.avatar_url).and_then(|u| e.check("avatar_url", web_url(u)));
    let clean = NewAgent {
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        endpoint_url: endpoint_url.unwrap_or_default(),
        capabilities: capabilities.unwrap_or_default(),
        owner_wallet,
        avatar_url,
    };
    e.finish(clean)
}

pub fn profile_update(form: &ProfileUpdate) -> Result<ProfileUpdate, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let clean = ProfileUpdate {
        name: form
            .name
            .as_deref()
            .and_then(|v| e.check("name", length(v, 2, 50, "a name for your agent"))),
        description: form
            .description
            .as_deref()
            .and_then(|v| e.check("description", length(v, 10, 500, "a short description"))),
        endpoint_url: form
            .endpoint_url
            .as_deref()
            .and_then(|v| e.check("endpoint_url", web_url(v))),
        avatar_url: optional_url(&mut e, "avatar_url", &form.avatar_url),
        capabilities: form
            .capabilities
            .as_deref()
            .and_then(|v| e.check("capabilities", capabilities(v))),
        payout_wallet: checked_patch(&mut e, "payout_wallet", &form.payout_wallet, solana_wallet),
    };
    e.finish(clean)
}

pub fn new_service(form: &NewService) -> Result<NewService, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let clean = NewService {
        category: e
            .check("category", category(&form.category))
            .unwrap_or_default(),
        title: e
            .check("title", length(&form.title, 3, 100, "a title"))
            .unwrap_or_default(),
        description: e
            .check(
                "description",
                length(&form.description, 10, 1000, "a description"),
            )
            .unwrap_or_default(),
        price_usd: e
            .check("price_usd", price(&form.price_usd))
            .unwrap_or_default(),
        price_type: e
            .check(
                "price_type",
                one_of(&form.price_type, &PRICE_TYPES, "how it is priced"),
            )
            .unwrap_or_default(),
        turnaround_hours: form
            .turnaround_hours
            .and_then(|h| e.check("turnaround_hours", turnaround(h.into()))),
        deliverables: e
            .check("deliverables", deliverables(&form.deliverables))
            .unwrap_or_default(),
        demo_url: optional(&form.demo_url).and_then(|u| e.check("demo_url", web_url(u))),
    };
    e.finish(clean)
}

pub fn service_update(form: &ServiceUpdate) -> Result<ServiceUpdate, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let clean = ServiceUpdate {
        category: form
            .category
            .as_deref()
            .and_then(|v| e.check("category", category(v))),
        title: form
            .title
            .as_deref()
            .and_then(|v| e.check("title", length(v, 3, 100, "a title"))),
        description: form
            .description
            .as_deref()
            .and_then(|v| e.check("description", length(v, 10, 1000, "a description"))),
        price_usd: form
            .price_usd
            .as_deref()
            .and_then(|v| e.check("price_usd", price(v))),
        price_type: form
            .price_type
            .as_deref()
            .and_then(|v| e.check("price_type", one_of(v, &PRICE_TYPES, "how it is priced"))),
        turnaround_hours: form
            .turnaround_hours
            .and_then(|h| e.check("turnaround_hours", turnaround(h.into()))),
        deliverables: form
            .deliverables
            .as_deref()
            .and_then(|v| e.check("deliverables", deliverables(v))),
        demo_url: optional_url(&mut e, "demo_url", &form.demo_url),
    };
    e.finish(clean)
}

/// A patched field: left alone, cleared, or set to a value that must pass `check`.
fn checked_patch(
    e: &mut ValidationErrors,
    field: &str,
    patch: &Patch<String>,
    check: fn(&str) -> Result<String, String>,
) -> Patch<String> {
    match patch {
        Patch::Keep => Patch::Keep,
        Patch::Clear => Patch::Clear,
        Patch::Set(value) => e.check(field, check(value)).map_or(Patch::Keep, Patch::Set),
    }
}

/// An optional link in an edit form: emptying the box removes the link.
fn optional_url(e: &mut ValidationErrors, field: &str, patch: &Patch<String>) -> Patch<String> {
    match patch {
        Patch::Set(value) if value.trim().is_empty() => Patch::Clear,
        other => checked_patch(e, field, other, web_url),
    }
}

pub fn delivery(form: &Delivery) -> Result<Delivery, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let clean = Delivery {
        deliverable_url: e
            .check("deliverable_url", web_url(&form.deliverable_url))
            .unwrap_or_default(),
        deliverable_media_type: e
            .check(
                "deliverable_media_type",
                one_of(
                    &form.deliverable_media_type,
                    &MEDIA_TYPES,
                    "what you are delivering",
                ),
            )
            .unwrap_or_default(),
    };
    e.finish(clean)
}

/// What the key field says when a pasted key cannot be right.
pub const API_KEY_HINT: &str =
    "An Atelier API key starts with atelier_ and has no spaces. Paste the whole key you saved when you registered.";

/// A pasted API key: trimmed, `atelier_` prefix, nothing that cannot go in a header.
/// The rest is opaque; the server is the judge of whether it is real.
pub fn api_key(value: &str) -> Result<secrecy::SecretString, ValidationErrors> {
    let value = value.trim();
    let plausible = value.len() > "atelier_".len()
        && value.starts_with("atelier_")
        && value.bytes().all(|b| b.is_ascii_graphic());
    if plausible {
        Ok(secrecy::SecretString::from(value.to_owned()))
    } else {
        Err(ValidationErrors::single("api_key", API_KEY_HINT))
    }
}

/// Agent ids are opaque, but a pasted one must at least be a single word.
pub fn agent_id(value: &str) -> Result<String, ValidationErrors> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(value.to_owned())
    } else {
        Err(ValidationErrors::single(
            "agent_id",
            "Paste your agent ID, for example ext_1708123456789_abc123xyz.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real-looking address: 32 bytes of a fixed pattern, base58-encoded.
    fn wallet() -> String {
        bs58::encode([7u8; 32]).into_string()
    }

    fn good_agent() -> NewAgent {
        NewAgent {
            name: "  Neon Avatars ".into(),
            description: "Cyberpunk avatars in any style".into(),
            endpoint_url: "https://neon.example.com".into(),
            capabilities: vec!["image_gen".into(), "image_gen".into()],
            owner_wallet: Some(" ".into()),
            avatar_url: None,
        }
    }

    #[test]
    fn a_good_registration_is_cleaned_up_for_sending() {
        let clean = new_agent(&good_agent()).unwrap();
        assert_eq!(clean.name, "Neon Avatars");
        assert_eq!(clean.capabilities, ["image_gen"]);
        assert_eq!(
            clean.owner_wallet, None,
            "a blank optional wallet is simply not sent"
        );
    }

    #[test]
    fn every_problem_in_a_registration_is_reported_with_its_field() {
        let form = NewAgent {
            name: "N".into(),
            description: "short".into(),
            endpoint_url: "neon.example.com".into(),
            capabilities: vec!["painting".into()],
            owner_wallet: Some("0OIl".into()),
            avatar_url: Some("ftp://x".into()),
        };
        let errors = new_agent(&form).unwrap_err();
        let fields: Vec<&str> = errors.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "description",
                "endpoint_url",
                "capabilities",
                "owner_wallet",
                "avatar_url"
            ]
        );
        assert_eq!(
            errors.message_for("name"),
            Some("Use at least 2 characters (now 1).")
        );
        assert!(errors
            .message_for("endpoint_url")
            .unwrap()
            .contains("add https://"));
    }

    #[test]
    fn names_are_counted_as_the_server_counts_them() {
        // "🎨" is two UTF-16 units, as JavaScript's `.length` sees it.
        let mut form = good_agent();
        form.name = "🎨".into();
        assert!(new_agent(&form).is_ok());
        form.name = "🎨".repeat(26);
        assert_eq!(
            new_agent(&form).unwrap_err().message_for("name"),
            Some("Use at most 50 characters (now 52).")
        );
    }

    #[test]
    fn wallets_must_decode_to_a_32_byte_key() {
        assert_eq!(solana_wallet(&format!(" {} ", wallet())), Ok(wallet()));
        // Right alphabet and length, wrong size once decoded: the server would accept this.
        let mut bytes = [1u8; 33];
        bytes[0] = 0; // a leading zero byte is a leading '1': 44 characters, 33 bytes
        let too_long = bs58::encode(bytes).into_string();
        assert!(too_long.len() <= 44);
        assert!(solana_wallet(&too_long).unwrap_err().contains("32-byte"));
        assert!(solana_wallet("abc").unwrap_err().contains("32 to 44"));
        assert!(solana_wallet(&format!("0{}", &wallet()[1..]))
            .unwrap_err()
            .contains("“0”"));
        assert!(solana_wallet("").is_err());
    }

    #[test]
    fn service_prices_types_and_turnaround_are_checked_together() {
        let form = NewService {
            category: "image_gen".into(),
            title: "Av".into(),
            description: "Avatars in any style you like".into(),
            price_usd: "5.999".into(),
            price_type: "weekly".into(),
            turnaround_hours: Some(0),
            deliverables: vec![],
            demo_url: Some("portfolio".into()),
        };
        let errors = new_service(&form).unwrap_err();
        for field in [
            "title",
            "price_usd",
            "price_type",
            "turnaround_hours",
            "demo_url",
        ] {
            assert!(
                errors.message_for(field).is_some(),
                "{field} should be flagged"
            );
        }
        assert!(errors.message_for("category").is_none());
        assert!(errors.message_for("description").is_none());
    }

    #[test]
    fn a_good_service_is_normalised() {
        let form = NewService {
            category: "video_gen".into(),
            title: " Short promo video ".into(),
            description: "A 15 second promo for your brand".into(),
            price_usd: "$12.5".into(),
            price_type: "fixed".into(),
            turnaround_hours: Some(24),
            deliverables: vec![" mp4 file ".into(), "  ".into()],
            demo_url: Some("".into()),
        };
        let clean = new_service(&form).unwrap();
        assert_eq!(clean.price_usd, "12.50");
        assert_eq!(clean.title, "Short promo video");
        assert_eq!(clean.deliverables, ["mp4 file"]);
        assert_eq!(clean.demo_url, None);
    }

    #[test]
    fn typed_turnaround_is_a_positive_whole_number_or_nothing() {
        assert_eq!(turnaround_text(""), Ok(None));
        assert_eq!(turnaround_text(" 24 "), Ok(Some(24)));
        assert!(turnaround_text("2.5").is_err());
        assert!(turnaround_text("0").is_err());
        assert!(turnaround_text("-3").is_err());
    }

    #[test]
    fn updates_check_only_what_changes_and_payout_reset_passes() {
        let reset = ProfileUpdate {
            payout_wallet: Patch::Clear,
            ..Default::default()
        };
        assert_eq!(profile_update(&reset).unwrap(), reset);
        let bad = ProfileUpdate {
            payout_wallet: Patch::Set("nope".into()),
            ..Default::default()
        };
        assert!(profile_update(&bad)
            .unwrap_err()
            .message_for("payout_wallet")
            .is_some());
        let price_only = ServiceUpdate {
            price_usd: Some("7.5".into()),
            ..Default::default()
        };
        assert_eq!(
            service_update(&price_only).unwrap().price_usd.as_deref(),
            Some("7.50")
        );
    }

    #[test]
    fn deliveries_need_a_web_address_and_a_known_media_type() {
        let bad = Delivery {
            deliverable_url: "file:///home/me/a.png".into(),
            deliverable_media_type: "gif".into(),
        };
        let errors = delivery(&bad).unwrap_err();
        assert!(errors.message_for("deliverable_url").is_some());
        assert_eq!(
            errors.message_for("deliverable_media_type"),
            Some("Choose what you are delivering: Image, Video.")
        );
    }

    #[test]
    fn pasted_keys_and_ids_are_trimmed_and_sanity_checked() {
        use secrecy::ExposeSecret;
        let key = api_key("  atelier_0123abcd \n").unwrap();
        assert_eq!(key.expose_secret(), "atelier_0123abcd");
        for bad in ["", "atelier_", "sk_live_123", "atelier_ab cd"] {
            assert_eq!(
                api_key(bad).unwrap_err().message_for("api_key"),
                Some(API_KEY_HINT),
                "{bad:?}"
            );
        }
        assert_eq!(agent_id(" ext_1_abc ").unwrap(), "ext_1_abc");
        assert!(agent_id("ext 1").is_err());
    }
}
