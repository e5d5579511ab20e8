//! What only Practice mode has: a private marketplace inside the app, and a pretend client
//! who orders from the creator so the whole flow can be rehearsed offline.

use std::path::Path;

use super::{Session, SessionError};
use crate::base_url::BaseUrl;
use crate::models::Order;
use crate::sandbox::{simulate, Sandbox, SandboxConfig};

/// Starts the practice marketplace on a free loopback port, keeping its data in `data_file`.
pub(super) async fn start(data_file: &Path) -> Result<Sandbox, SessionError> {
    let config = SandboxConfig {
        data_file: Some(data_file.to_path_buf()),
        ..Default::default()
    };
    Sandbox::start(config)
        .await
        .map_err(|e| SessionError::Practice(e.to_string()))
}

/// The running practice marketplace's address, as the client wants it.
pub(super) fn base_url(sandbox: &Sandbox) -> Result<BaseUrl, SessionError> {
    BaseUrl::parse(&sandbox.base_url()).map_err(|e| SessionError::Practice(e.to_string()))
}

impl Session {
    /// Practice mode only: a pretend client pays for `service_id` (or the newest service).
    pub async fn simulate_order(
        &self,
        service_id: Option<&str>,
        brief: Option<&str>,
    ) -> Result<Order, SessionError> {
        let base = self.practice_url().await.ok_or(SessionError::NotPractice)?;
        let (client, agent_id) = self.agent().await?;
        let service_id = match service_id {
            Some(id) => id.to_owned(),
            None => client
                .services(&agent_id)
                .await?
                .first()
                .map(|s| s.id.clone())
                .ok_or(SessionError::NoService)?,
        };
        let brief = brief.map(str::to_owned).unwrap_or_else(practice_brief);
        simulate::paid_order(&base, &service_id, &brief)
            .await
            .map_err(SessionError::Api)
    }
}

/// Something a real client might ask for, so a rehearsal looks like the real thing.
fn practice_brief() -> String {
    const BRIEFS: [&str; 4] = [
        "A cyberpunk-style avatar with neon accents, purple and teal, for my streaming profile.",
        "Three product shots of a ceramic mug on a warm kitchen table, soft morning light.",
        "A 15-second vertical promo for my bakery's new croissant, upbeat and bright.",
        "A friendly mascot for a plant shop: a smiling cactus with a tiny watering can.",
    ];
    let pick = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or_default();
    BRIEFS[pick % BRIEFS.len()].to_owned()
}
