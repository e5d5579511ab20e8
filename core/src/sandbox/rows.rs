//! Rows shaped like the real server's SQLite tables, fields in column order,
//! because clients are meant to be tested against exactly what it sends:
//! arrays as JSON text, flags as 0/1 integers, money as strings.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ids;

/// `atelier_agents`, all 29 columns; `PATCH /agents/me` returns it whole.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub bio: Option<String>,
    pub source: String,
    pub endpoint_url: Option<String>,
    pub capabilities: Option<String>,
    pub api_key: Option<String>,
    pub verified: i64,
    pub blue_check: i64,
    pub is_atelier_official: i64,
    pub active: i64,
    pub total_orders: i64,
    pub completed_orders: i64,
    pub avg_rating: Option<f64>,
    pub twitter_username: Option<String>,
    pub bankr_wallet: Option<String>,
    pub owner_wallet: Option<String>,
    pub token_mint: Option<String>,
    pub token_name: Option<String>,
    pub token_symbol: Option<String>,
    pub token_image_url: Option<String>,
    pub token_mode: Option<String>,
    pub token_creator_wallet: Option<String>,
    pub token_tx_hash: Option<String>,
    pub token_created_at: Option<String>,
    pub payout_wallet: Option<String>,
    pub created_at: String,
}

/// `services`, its 20 columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub agent_id: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub price_usd: String,
    pub price_type: String,
    /// A number, or null when the server's `Number(...)` produced NaN.
    pub turnaround_hours: Value,
    pub deliverables: Option<String>,
    pub portfolio_post_ids: Option<String>,
    pub demo_url: Option<String>,
    pub active: i64,
    pub total_orders: i64,
    pub completed_orders: i64,
    pub avg_rating: Option<f64>,
    pub provider_key: Option<String>,
    pub provider_model: Option<String>,
    pub system_prompt: Option<String>,
    pub quota_limit: i64,
    pub created_at: String,
}

/// `service_orders`, its 23 columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub service_id: String,
    pub client_agent_id: Option<String>,
    pub client_wallet: Option<String>,
    pub provider_agent_id: String,
    pub brief: String,
    pub reference_urls: Option<String>,
    pub quoted_price_usd: Option<String>,
    pub platform_fee_usd: Option<String>,
    pub payment_method: Option<String>,
    pub status: String,
    pub escrow_tx_hash: Option<String>,
    pub payout_tx_hash: Option<String>,
    pub deliverable_post_id: Option<i64>,
    pub deliverable_url: Option<String>,
    pub deliverable_media_type: Option<String>,
    pub quota_total: i64,
    pub quota_used: i64,
    pub workspace_expires_at: Option<String>,
    pub delivered_at: Option<String>,
    pub review_deadline: Option<String>,
    pub completed_at: Option<String>,
    pub created_at: String,
}

/// Moves a stored time `by` earlier; one that cannot be read stays as it is.
fn move_earlier(stored: &mut String, by: Duration) {
    if let Some(moved) = ids::earlier(stored, by) {
        *stored = moved;
    }
}

fn move_earlier_opt(stored: &mut Option<String>, by: Duration) {
    if let Some(stored) = stored {
        move_earlier(stored, by);
    }
}

impl Agent {
    /// Every time the row records, `by` earlier (the practice clock).
    pub fn move_earlier(&mut self, by: Duration) {
        move_earlier(&mut self.created_at, by);
        move_earlier_opt(&mut self.token_created_at, by);
    }
}

impl Service {
    /// Every time the row records, `by` earlier (the practice clock).
    pub fn move_earlier(&mut self, by: Duration) {
        move_earlier(&mut self.created_at, by);
    }
}

impl Order {
    /// Every time the row records, `by` earlier (the practice clock): to a client that
    /// reads the real clock, the order has aged by `by`.
    pub fn move_earlier(&mut self, by: Duration) {
        move_earlier(&mut self.created_at, by);
        move_earlier_opt(&mut self.delivered_at, by);
        move_earlier_opt(&mut self.review_deadline, by);
        move_earlier_opt(&mut self.completed_at, by);
        move_earlier_opt(&mut self.workspace_expires_at, by);
    }
}

/// What `GET /agents/me` shows: a chosen subset with the key masked.
#[derive(Debug, Serialize)]
pub struct AgentProfile<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub description: &'a Option<String>,
    pub avatar_url: &'a Option<String>,
    pub endpoint_url: &'a Option<String>,
    pub capabilities: &'a Option<String>,
    pub api_key: String,
    pub verified: i64,
    pub total_orders: i64,
    pub completed_orders: i64,
    pub avg_rating: Option<f64>,
    pub owner_wallet: &'a Option<String>,
    pub payout_wallet: &'a Option<String>,
    pub created_at: &'a str,
}

impl<'a> AgentProfile<'a> {
    /// The profile as its owner sees it; `key` is the key they presented (only its digest
    /// is stored), masked as the server masks it.
    pub fn of(agent: &'a Agent, key: &str) -> Self {
        let tail: String = {
            let chars: Vec<char> = key.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        let api_key = format!("atelier_...{tail}");
        AgentProfile {
            id: &agent.id,
            name: &agent.name,
            description: &agent.description,
            avatar_url: &agent.avatar_url,
            endpoint_url: &agent.endpoint_url,
            capabilities: &agent.capabilities,
            api_key,
            verified: agent.verified,
            total_orders: agent.total_orders,
            completed_orders: agent.completed_orders,
            avg_rating: agent.avg_rating,
            owner_wallet: &agent.owner_wallet,
            payout_wallet: &agent.payout_wallet,
            created_at: &agent.created_at,
        }
    }
}

/// A service as the server selects it: its columns joined with six of its
/// agent's (26 fields).
#[derive(Debug, Serialize)]
pub struct ServiceView<'a> {
    #[serde(flatten)]
    pub service: &'a Service,
    pub agent_name: Option<&'a str>,
    pub agent_avatar_url: Option<&'a str>,
    pub verified: Option<i64>,
    pub blue_check: Option<i64>,
    pub has_bankr_wallet: i64,
    pub is_atelier_official: Option<i64>,
}

impl<'a> ServiceView<'a> {
    pub fn of(service: &'a Service, agent: Option<&'a Agent>) -> Self {
        ServiceView {
            service,
            agent_name: agent.map(|a| a.name.as_str()),
            agent_avatar_url: agent.and_then(|a| a.avatar_url.as_deref()),
            verified: agent.map(|a| a.verified),
            blue_check: agent.map(|a| a.blue_check),
            has_bankr_wallet: i64::from(agent.is_some_and(|a| a.bankr_wallet.is_some())),
            is_atelier_official: agent.map(|a| a.is_atelier_official),
        }
    }
}

/// An order as the server selects it: its columns plus the service title and
/// both parties' names (26 fields).
#[derive(Debug, Serialize)]
pub struct OrderView<'a> {
    #[serde(flatten)]
    pub order: &'a Order,
    pub service_title: Option<&'a str>,
    pub client_name: Option<&'a str>,
    pub provider_name: Option<&'a str>,
}

/// What the public `GET /orders/{id}` answers. The review is looked up only for a
/// completed order and deliverables only for a workspace order (`quota_total > 0`); the
/// sandbox has neither reviews nor workspaces, so these are always `null` and `[]`.
#[derive(Debug, Serialize)]
pub struct OrderDetailView<'a> {
    pub order: OrderView<'a>,
    pub review: Option<Value>,
    pub deliverables: Vec<Value>,
}
