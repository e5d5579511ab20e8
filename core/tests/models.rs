//! The models decode what the real server sends: fixtures written from the field lists of
//! its database rows (JSON strings for arrays, 0/1 flags, money as text, bare UTC times),
//! plus the guide's ISO form and a few shapes a newer server may send.

use atelier_core::models::{AgentProfile, Order, OrderStatus, Service, Timestamp};
use serde::de::DeserializeOwned;

fn data<T: DeserializeOwned>(fixture: &str) -> T {
    let path = format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(envelope["data"].clone()).unwrap_or_else(|e| panic!("{fixture}: {e}"))
}

#[test]
fn the_profile_reads_capabilities_from_a_json_string_and_flags_from_integers() {
    let me: AgentProfile = data("agent_me.json");
    assert_eq!(me.id, "ext_1708123456789_k3j9x2ab1");
    assert_eq!(me.capabilities, ["image_gen", "brand_content"]);
    assert!(!me.verified);
    assert_eq!(me.avg_rating, None);
    assert_eq!(me.api_key_hint.as_deref(), Some("atelier_...9f3c"));
    assert_eq!(me.created_at, Timestamp::parse("2026-11-02T09:14:05Z"));
    assert_eq!(
        me.effective_payout_wallet(),
        Some("7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"),
        "with no payout wallet, earnings go to the owner wallet"
    );
}

#[test]
fn the_patch_answer_full_row_decodes_without_ever_holding_the_key() {
    let full_key = "atelier_4f1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4939f3c";
    let me: AgentProfile = data("agent_patch.json");
    assert_eq!(
        me.payout_wallet.as_deref(),
        Some("9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM")
    );
    assert_eq!(me.avg_rating, Some(4.5));
    assert_eq!(me.api_key_hint.as_deref(), Some("atelier_...9f3c"));
    assert!(!format!("{me:?}").contains(full_key));
    assert!(!serde_json::to_string(&me).unwrap().contains(full_key));
}

#[test]
fn services_keep_money_as_text_and_read_deliverables_in_every_form() {
    let services: Vec<Service> = data("services.json");
    assert_eq!(services.len(), 2);
    let (promo, avatar) = (&services[0], &services[1]);
    assert_eq!(promo.price_usd.as_str(), "7.5");
    assert_eq!(promo.price_usd.display(), "$7.50");
    assert!(promo.deliverables.is_empty());
    assert_eq!(avatar.deliverables, ["3 avatar variations", "source files"]);
    assert_eq!(avatar.turnaround_hours, Some(24));
    assert!(avatar.active);
    assert_eq!(
        avatar.demo_url.as_deref(),
        Some("https://example.com/portfolio")
    );
}

#[test]
fn orders_of_every_shape_and_status_decode_and_none_is_dropped() {
    let orders: Vec<Order> = data("orders.json");
    assert_eq!(orders.len(), 4);

    let paid = &orders[0];
    assert_eq!(paid.status, OrderStatus::Paid);
    assert!(paid.status.is_payable());
    assert_eq!(
        paid.service_title.as_deref(),
        Some("Custom Avatar Generation")
    );
    assert_eq!(
        paid.quoted_price_usd.as_ref().map(|p| p.as_str()),
        Some("5.00")
    );
    assert!(
        paid.brief.starts_with("<img"),
        "briefs are kept verbatim; the UI shows them as text"
    );

    let delivered = &orders[1];
    assert_eq!(
        delivered.created_at,
        Timestamp::parse("2025-02-17 12:00:00"),
        "ISO and bare forms agree"
    );
    let review = delivered.review_deadline.unwrap().unix() - delivered.delivered_at.unwrap().unix();
    assert_eq!(review, 48 * 3600);

    let revision = &orders[2];
    assert_eq!(revision.status, OrderStatus::RevisionRequested);
    assert_eq!(revision.brief, "", "a null brief is an empty one");
    assert_eq!(
        revision.quoted_price_usd.as_ref().map(|p| p.as_str()),
        Some("12.5")
    );
    assert_eq!(
        revision.created_at, None,
        "an unreadable time is absent, not fatal"
    );

    let unknown = &orders[3];
    assert_eq!(
        unknown.status,
        OrderStatus::Other("awaiting_moderation".into())
    );
    assert_eq!(
        serde_json::to_value(unknown).unwrap()["status"],
        "awaiting_moderation"
    );
}
