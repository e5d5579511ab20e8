//! What only Practice mode has: a private marketplace inside the app, a pretend client
//! who orders from the creator and plays the rest of the order's life (approval, dispute,
//! cancellation, a review window left to lapse), and a clock that can jump, so the whole
//! flow can be rehearsed offline without waiting hours.

use std::io;
use std::path::{Path, PathBuf};

use super::{Session, SessionError};
use crate::base_url::BaseUrl;
use crate::json_file;
use crate::models::{Order, OrderStatus};
use crate::sandbox::simulate::{self, ClientAction, ClockJump, Payment};
use crate::sandbox::{Sandbox, SandboxConfig};

/// Starts the practice marketplace on a free loopback port, keeping its data in `data_file`.
/// That data is only a rehearsal: a damaged file is set aside (where it went is returned)
/// and the marketplace starts empty, rather than Practice mode failing at every launch.
pub(super) async fn start(data_file: &Path) -> Result<(Sandbox, Option<PathBuf>), SessionError> {
    let config = SandboxConfig {
        data_file: Some(data_file.to_path_buf()),
        ..Default::default()
    };
    let failed = |e: io::Error| SessionError::Practice(e.to_string());
    match Sandbox::start(config.clone()).await {
        Ok(sandbox) => Ok((sandbox, None)),
        // Only a data file that cannot be decoded makes the sandbox answer InvalidData.
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            let kept = json_file::set_aside(data_file).map_err(failed)?;
            let sandbox = Sandbox::start(config).await.map_err(failed)?;
            Ok((sandbox, Some(kept)))
        }
        Err(e) => Err(failed(e)),
    }
}

/// The running practice marketplace's address, as the client wants it.
pub(super) fn base_url(sandbox: &Sandbox) -> Result<BaseUrl, SessionError> {
    BaseUrl::parse(&sandbox.base_url()).map_err(|e| SessionError::Practice(e.to_string()))
}

impl Session {
    /// Practice mode only: a pretend client orders `service_id` (or the newest service),
    /// paying as [`Payment::from_env`] says.
    pub async fn simulate_order(
        &self,
        service_id: Option<&str>,
        brief: Option<&str>,
    ) -> Result<Order, SessionError> {
        self.simulate_order_paying(service_id, brief, Payment::from_env())
            .await
    }

    /// As [`Session::simulate_order`], paying as `payment` says. Paying later answers with
    /// the order as created (`quoted`, or `pending_quote` for a price on request, which
    /// the client cannot pay until quoted, and never is through this API) and pays it from
    /// a task of its own, which outlives this call.
    pub async fn simulate_order_paying(
        &self,
        service_id: Option<&str>,
        brief: Option<&str>,
        payment: Payment,
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
        let Some(wait) = payment.wait() else {
            return simulate::paid_order(&base, &service_id, &brief)
                .await
                .map_err(SessionError::Api);
        };
        let order = simulate::unpaid_order(&base, &service_id, &brief).await?;
        if order.status == OrderStatus::Quoted {
            let order_id = order.id.clone();
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                // The practice marketplace may have stopped meanwhile (another mode, the app
                // quitting): the order then stays unpaid, like an abandoned checkout.
                if let Err(e) = simulate::pay(&base, &order_id).await {
                    eprintln!("atelier practice: the pretend client could not pay {order_id}: {e}");
                }
            });
        }
        Ok(order)
    }
}

impl Session {
    /// Practice mode only: the pretend client acts on `order_id` and the order comes back as
    /// it now is. One control request to the practice marketplace, never rate limited; an
    /// action the order's status does not allow is refused with the marketplace's message
    /// (`SessionError::Api`, `ApiError::Rejected`), an unknown order with
    /// `ApiError::NotFound`. [`ClientAction::LapseReview`] moves the practice clock.
    pub async fn play_client(
        &self,
        order_id: &str,
        action: ClientAction,
    ) -> Result<Order, SessionError> {
        let base = self.practice_url().await.ok_or(SessionError::NotPractice)?;
        Ok(simulate::act(&base, order_id, action).await?)
    }

    /// Practice mode only: time passes on the practice marketplace, `secs` of it at once
    /// (1 to [`simulate::MAX_ADVANCE_SECS`], 30 days). Every order ages by `secs`; delivered
    /// orders whose review window lapses stay `delivered`, as on the real server, and are
    /// named in [`ClockJump::lapsed_reviews`]. Never rate limited.
    pub async fn advance_clock(&self, secs: u64) -> Result<ClockJump, SessionError> {
        let base = self.practice_url().await.ok_or(SessionError::NotPractice)?;
        Ok(simulate::advance_clock(&base, secs).await?)
    }

    /// Practice mode only: one order ages by `secs` (1 to [`simulate::MAX_ADVANCE_SECS`]),
    /// so it can become due soon or late while the others stay as they are. Never rate
    /// limited.
    pub async fn age_order(&self, order_id: &str, secs: u64) -> Result<Order, SessionError> {
        let base = self.practice_url().await.ok_or(SessionError::NotPractice)?;
        Ok(simulate::age_order(&base, order_id, secs).await?)
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
