//! The forms as the page sends them — every value the text the creator typed — and their
//! translation into API requests. Live validation (`check`) and submission share this path,
//! so what the form shows as fine is exactly what gets sent.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::models::{Delivery, NewAgent, NewService, Patch, ProfileUpdate, ServiceUpdate};
use crate::validate::{self, FieldError, ValidationErrors};

/// The service form (create and edit).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ServiceForm {
    pub category: String,
    pub title: String,
    pub description: String,
    pub price_usd: String,
    pub price_type: String,
    /// The text of the box; empty means "not given" (Atelier then assumes 48 hours).
    pub turnaround_hours: String,
    pub deliverables: Vec<String>,
    pub demo_url: String,
}

/// The profile edit form: every field is sent, so what is on screen is what is saved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub name: String,
    pub description: String,
    pub endpoint_url: String,
    pub avatar_url: String,
    pub capabilities: Vec<String>,
}

/// The turnaround problem, if any, joined with the rest of the form's problems in form order.
fn with_turnaround<T>(
    form: &ServiceForm,
    build: impl FnOnce(Option<u32>) -> Result<T, ValidationErrors>,
) -> Result<T, ValidationErrors> {
    match validate::turnaround_text(&form.turnaround_hours) {
        Ok(hours) => build(hours),
        Err(message) => {
            let mut errors = build(None).err().unwrap_or_default();
            errors.add("turnaround_hours", message);
            Err(errors)
        }
    }
}

pub fn new_service(form: &ServiceForm) -> Result<NewService, ValidationErrors> {
    with_turnaround(form, |hours| {
        validate::new_service(&NewService {
            category: form.category.clone(),
            title: form.title.clone(),
            description: form.description.clone(),
            price_usd: form.price_usd.clone(),
            price_type: form.price_type.clone(),
            turnaround_hours: hours,
            deliverables: form.deliverables.clone(),
            demo_url: Some(form.demo_url.clone()),
        })
    })
}

pub fn service_update(form: &ServiceForm) -> Result<ServiceUpdate, ValidationErrors> {
    with_turnaround(form, |hours| {
        validate::service_update(&ServiceUpdate {
            category: Some(form.category.clone()),
            title: Some(form.title.clone()),
            description: Some(form.description.clone()),
            price_usd: Some(form.price_usd.clone()),
            price_type: Some(form.price_type.clone()),
            turnaround_hours: hours,
            deliverables: Some(form.deliverables.clone()),
            demo_url: Patch::Set(form.demo_url.clone()),
        })
    })
}

pub fn profile_update(form: &ProfileForm) -> Result<ProfileUpdate, ValidationErrors> {
    validate::profile_update(&ProfileUpdate {
        name: Some(form.name.clone()),
        description: Some(form.description.clone()),
        endpoint_url: Some(form.endpoint_url.clone()),
        avatar_url: Patch::Set(form.avatar_url.clone()),
        capabilities: Some(form.capabilities.clone()),
        payout_wallet: Patch::Keep,
    })
}

/// Live validation for the page: every problem of the form of `kind`, or none.
/// Nothing here touches the network.
pub fn check(kind: &str, form: Value) -> Vec<FieldError> {
    fn read<T: DeserializeOwned + Default>(form: Value) -> T {
        serde_json::from_value(form).unwrap_or_default()
    }
    fn problems<T>(outcome: Result<T, ValidationErrors>) -> Vec<FieldError> {
        outcome.err().map(|e| e.problems).unwrap_or_default()
    }
    fn text(form: &Value, field: &str) -> String {
        form.get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }
    match kind {
        "agent" => problems(validate::new_agent(&read::<NewAgent>(form))),
        "wallet" => problems(
            validate::solana_wallet(&text(&form, "wallet"))
                .map_err(|m| ValidationErrors::single("payout_wallet", m)),
        ),
        "service" => problems(new_service(&read::<ServiceForm>(form))),
        "profile" => problems(profile_update(&read::<ProfileForm>(form))),
        "sign_in" => {
            let mut all = problems(validate::agent_id(&text(&form, "agent_id")));
            all.extend(problems(validate::api_key(&text(&form, "api_key"))));
            all
        }
        "delivery" => problems(validate::delivery(&read::<Delivery>(form))),
        other => vec![FieldError {
            field: String::new(),
            message: format!("Unknown form “{other}”."),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(problems: &[FieldError]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn a_half_filled_service_form_lists_its_problems_in_form_order() {
        let problems = check(
            "service",
            json!({"category": "image_gen", "title": "Av", "price_usd": "5", "price_type": "fixed", "turnaround_hours": "1.5"}),
        );
        assert_eq!(
            fields(&problems),
            ["title", "description", "turnaround_hours"]
        );
    }

    #[test]
    fn typed_turnaround_and_an_empty_demo_link_become_the_request() {
        let form = ServiceForm {
            category: "ugc".into(),
            title: "Unboxing video".into(),
            description: "A 30 second unboxing of your product".into(),
            price_usd: "20".into(),
            price_type: "fixed".into(),
            turnaround_hours: " 72 ".into(),
            deliverables: vec!["mp4".into()],
            demo_url: "".into(),
        };
        let new = new_service(&form).unwrap();
        assert_eq!(
            (new.turnaround_hours, new.demo_url, new.price_usd.as_str()),
            (Some(72), None, "20.00")
        );
        let edit = service_update(&form).unwrap();
        assert_eq!(
            edit.demo_url,
            Patch::Clear,
            "emptying the box removes the link"
        );
    }

    #[test]
    fn emptying_the_avatar_box_removes_the_avatar() {
        let form = ProfileForm {
            name: "Neon Avatars".into(),
            description: "Avatars in neon, any style".into(),
            endpoint_url: "https://neon.example.com".into(),
            avatar_url: " ".into(),
            capabilities: vec!["image_gen".into()],
        };
        assert_eq!(profile_update(&form).unwrap().avatar_url, Patch::Clear);
    }

    #[test]
    fn sign_in_and_wallet_forms_name_their_fields() {
        assert_eq!(
            fields(&check(
                "sign_in",
                json!({"agent_id": "", "api_key": "sk_1"})
            )),
            ["agent_id", "api_key"]
        );
        assert_eq!(
            fields(&check("wallet", json!({"wallet": "nope"}))),
            ["payout_wallet"]
        );
        assert!(check(
            "wallet",
            json!({"wallet": bs58::encode([5u8; 32]).into_string()})
        )
        .is_empty());
        assert!(
            check("agent", json!({})).len() >= 3,
            "an empty form is not fine"
        );
    }
}
