use std::sync::OnceLock;

use atelier_core::linkcheck::{LinkChecker, LinkVerdict};
use atelier_core::models::Order;
use atelier_core::sandbox::simulate::{ClientAction, ClockJump};
use atelier_core::session::SessionError;

use super::DeskState;

/// Practice mode: the creator plays the client on one of their orders (`action`:
/// "pay", "cancel", "approve", "approve_without_payout", "dispute", "lapse_review").
/// Answers the order as it now is.
#[tauri::command]
pub async fn play_client(
    desk: DeskState<'_>,
    order_id: String,
    action: ClientAction,
) -> Result<Order, SessionError> {
    desk.play_client(&order_id, action).await
}

/// Practice mode: `secs` pass at once on the practice marketplace (1 to 30 days).
#[tauri::command]
pub async fn advance_practice_clock(
    desk: DeskState<'_>,
    secs: u64,
) -> Result<ClockJump, SessionError> {
    desk.advance_practice_clock(secs).await
}

/// Whether a deliverable link shows the client the promised `media_type`, asked from this
/// computer (never through Atelier, never with its key; links to this computer or the
/// local network are refused without a request). Any mode, signed in or not.
#[tauri::command]
pub async fn check_link(url: String, media_type: String) -> LinkVerdict {
    static CHECKER: OnceLock<LinkChecker> = OnceLock::new();
    let checker = CHECKER.get_or_init(LinkChecker::new).clone();
    checker.check(&url, &media_type).await
}
