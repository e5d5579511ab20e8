//! "Open for business": can a client buy from this creator right now, will the creator hear
//! of it, and will the money arrive? One line per condition, each in plain words with the
//! one action that fixes it. Everything here is read for free (`GET /agents/me`, the
//! services list, the watcher's own status); the desktop's facts (notifications, start on
//! login) come from the shell, which alone can see them.

use serde::Serialize;

use super::Desk;
use crate::error::PageError;
use crate::models::{AgentProfile, Service};
use crate::session::SessionError;
use crate::watcher::{Waiting, WatchStatus};

/// What only the desktop shell knows.
#[derive(Debug, Clone, Copy, Default)]
pub struct DesktopFacts {
    /// Something on this desktop answers for notifications (a notification server).
    pub notifications_reach: bool,
    /// The creator has notifications on in Settings.
    pub notifications_on: bool,
    /// `None` when the platform cannot tell.
    pub starts_on_login: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    /// Works, but worth a look.
    Warn,
    /// A client cannot buy, or the creator would not hear of it, or would not be paid.
    Bad,
}

/// The one-click fixes the page knows how to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fix {
    SignIn,
    SetPayoutWallet,
    CreateService,
    Resume,
    TurnNotificationsOn,
    SendTestNotification,
    StartOnLogin,
    OpenOrders,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// Stable, for the page and the tests: `agent`, `payout`, `services`, `watching`,
    /// `notifications`, `start_on_login`, `budget`.
    pub id: &'static str,
    pub verdict: Verdict,
    pub text: String,
    pub fix: Option<Fix>,
    /// The button's words when there is a fix.
    pub fix_label: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    /// Every line is `ok` (warnings allowed): clients can buy and the creator will know.
    pub open: bool,
    pub lines: Vec<Line>,
}

fn line(
    id: &'static str,
    verdict: Verdict,
    text: impl Into<String>,
    fix: Option<(Fix, &'static str)>,
) -> Line {
    Line {
        id,
        verdict,
        text: text.into(),
        fix: fix.map(|(f, _)| f),
        fix_label: fix.map(|(_, l)| l),
    }
}

/// The agent answers to its key.
fn agent_line(profile: &Result<AgentProfile, SessionError>) -> Line {
    match profile {
        Ok(p) => line(
            "agent",
            Verdict::Ok,
            format!("Your agent “{}” is on Atelier and its key works.", p.name),
            None,
        ),
        Err(e) if matches!(e.code(), "unauthorized" | "not_signed_in") => line(
            "agent",
            Verdict::Bad,
            "Atelier no longer accepts this agent's key, so nothing can be sold or delivered.",
            Some((Fix::SignIn, "Sign in again")),
        ),
        Err(e) => line(
            "agent",
            Verdict::Warn,
            format!("Atelier Desk couldn't check your agent just now: {e}"),
            None,
        ),
    }
}

/// Where the money goes when a client approves.
fn payout_line(profile: &Result<AgentProfile, SessionError>) -> Line {
    let Ok(p) = profile else {
        return line(
            "payout",
            Verdict::Warn,
            "Couldn't check where your payouts go.",
            None,
        );
    };
    match (&p.payout_wallet, &p.owner_wallet) {
        (Some(wallet), _) => line(
            "payout",
            Verdict::Ok,
            format!("Payouts go to your payout wallet {wallet}."),
            None,
        ),
        (None, Some(owner)) => line(
            "payout",
            Verdict::Warn,
            format!("No payout wallet is set, so payouts go to the wallet you registered with, {owner}. Set one if that's not where you want the money."),
            Some((Fix::SetPayoutWallet, "Set a payout wallet")),
        ),
        (None, None) => line(
            "payout",
            Verdict::Bad,
            "No wallet: Atelier has nowhere to send your earnings.",
            Some((Fix::SetPayoutWallet, "Set a payout wallet")),
        ),
    }
}

/// A client can pay only for a fixed price above zero: the external-agent API cannot send
/// a quote, so "price on request" orders stay unpaid.
pub fn can_be_bought(service: &Service) -> bool {
    service.active
        && service.price_type == "fixed"
        && service.price_usd.micros().is_some_and(|m| m > 0)
}

fn services_line(services: &Result<Vec<Service>, SessionError>) -> Line {
    let Ok(services) = services else {
        return line(
            "services",
            Verdict::Warn,
            "Couldn't check your services just now.",
            None,
        );
    };
    let buyable = services.iter().filter(|s| can_be_bought(s)).count();
    match (buyable, services.len()) {
        (0, 0) => line(
            "services",
            Verdict::Bad,
            "You have no active service, so there is nothing for clients to buy.",
            Some((Fix::CreateService, "Create a service")),
        ),
        (0, _) => line(
            "services",
            Verdict::Bad,
            "None of your services can be paid for: clients can pay only a fixed price above $0 (a price on request can't be quoted through Atelier Desk).",
            Some((Fix::CreateService, "Create a fixed-price service")),
        ),
        (1, _) => line("services", Verdict::Ok, "1 service is for sale.", None),
        (n, _) => line("services", Verdict::Ok, format!("{n} services are for sale."), None),
    }
}

fn watching_line(status: Option<&WatchStatus>) -> Line {
    match status {
        Some(s) if s.running && !s.paused => {
            let text = if s.signals {
                "Watching for orders: new ones show up within seconds."
            } else {
                "Watching for orders: new ones show up within a few minutes."
            };
            line("watching", Verdict::Ok, text, None)
        }
        Some(s) if s.paused => line(
            "watching",
            Verdict::Bad,
            "Watching is paused: you won't hear of new orders.",
            Some((Fix::Resume, "Resume watching")),
        ),
        Some(s) => line(
            "watching",
            Verdict::Bad,
            s.problem
                .as_ref()
                .map(|p| format!("Not watching for orders: {}", p.message))
                .unwrap_or_else(|| "Not watching for orders.".to_owned()),
            None,
        ),
        None => line("watching", Verdict::Bad, "Not watching for orders.", None),
    }
}

fn notifications_line(facts: DesktopFacts) -> Line {
    match (facts.notifications_on, facts.notifications_reach) {
        (true, true) => line(
            "notifications",
            Verdict::Ok,
            "New orders pop up on your desktop.",
            Some((Fix::SendTestNotification, "Send a test notification")),
        ),
        (false, _) => line(
            "notifications",
            Verdict::Warn,
            "Desktop notifications are off: new orders show only inside Atelier Desk.",
            Some((Fix::TurnNotificationsOn, "Turn notifications on")),
        ),
        (true, false) => line(
            "notifications",
            Verdict::Warn,
            "Nothing on this desktop shows notifications, so new orders show only inside Atelier Desk.",
            Some((Fix::SendTestNotification, "Send a test notification")),
        ),
    }
}

fn start_line(facts: DesktopFacts) -> Line {
    match facts.starts_on_login {
        Some(true) => line(
            "start_on_login",
            Verdict::Ok,
            "Atelier Desk starts when you log in, so it keeps watching after a restart.",
            None,
        ),
        Some(false) => line(
            "start_on_login",
            Verdict::Warn,
            "Atelier Desk doesn't start when you log in: after a restart, orders wait until you open it.",
            Some((Fix::StartOnLogin, "Start on login")),
        ),
        None => line(
            "start_on_login",
            Verdict::Warn,
            "Atelier Desk can't tell whether it starts when you log in.",
            None,
        ),
    }
}

fn budget_line(status: Option<&WatchStatus>) -> Line {
    let Some(s) = status else {
        return line(
            "budget",
            Verdict::Warn,
            "Not watching, so nothing is being spent.",
            None,
        );
    };
    match s.waiting {
        Waiting::RateLimit => line(
            "budget",
            Verdict::Warn,
            match s.next_check {
                Some(at) => format!("Atelier asked Atelier Desk to slow down: deliveries and new orders wait until {} (UTC).", at.as_offset().time()),
                None => "Atelier asked Atelier Desk to slow down for a while.".to_owned(),
            },
            Some((Fix::OpenOrders, "See your orders")),
        ),
        _ if s.budget_left == 0 => line(
            "budget",
            Verdict::Warn,
            "This hour's calls to Atelier are used up: deliveries wait for the next hour.",
            Some((Fix::OpenOrders, "See your orders")),
        ),
        _ => line(
            "budget",
            Verdict::Ok,
            "Room to spare with Atelier's limits: deliveries go out at once.",
            None,
        ),
    }
}

impl Desk {
    /// Every condition of being open for business, checked now (free calls only).
    pub async fn readiness(&self, facts: DesktopFacts) -> Result<Readiness, SessionError> {
        self.0.session.agent().await?;
        let (profile, services, status) =
            tokio::join!(self.profile(), self.services(), self.status());
        let lines = vec![
            agent_line(&profile),
            payout_line(&profile),
            services_line(&services),
            watching_line(status.as_ref()),
            notifications_line(facts),
            start_line(facts),
            budget_line(status.as_ref()),
        ];
        let open = lines.iter().all(|l| l.verdict != Verdict::Bad);
        Ok(Readiness { open, lines })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Usd;

    fn service(price: &str, price_type: &str) -> Service {
        serde_json::from_value(serde_json::json!({
            "id": "svc_1", "agent_id": "ext_1", "category": "image_gen", "title": "Avatars",
            "description": "Three avatars", "price_usd": price, "price_type": price_type, "active": 1
        }))
        .unwrap()
    }

    #[test]
    fn only_a_fixed_price_above_zero_can_be_bought() {
        assert!(can_be_bought(&service("5.00", "fixed")));
        assert!(!can_be_bought(&service("0", "fixed")));
        assert!(!can_be_bought(&service("5.00", "quote")));
        assert!(!can_be_bought(&service("abc", "fixed")));
        let mut off = service("5", "fixed");
        off.active = false;
        assert!(!can_be_bought(&off));
        let _ = Usd::from_server("1");
    }

    #[test]
    fn quote_only_services_are_not_open_for_business() {
        let l = services_line(&Ok(vec![service("5", "quote")]));
        assert_eq!(l.verdict, Verdict::Bad);
        assert_eq!(l.fix, Some(Fix::CreateService));
        assert!(l.text.contains("fixed price"), "{}", l.text);
        assert_eq!(
            services_line(&Ok(vec![service("5", "fixed")])).verdict,
            Verdict::Ok
        );
    }

    #[test]
    fn a_paused_watcher_is_fixed_by_resuming() {
        let mut status = WatchStatus::starting(30);
        status.running = true;
        status.paused = true;
        let l = watching_line(Some(&status));
        assert_eq!((l.verdict, l.fix), (Verdict::Bad, Some(Fix::Resume)));
        status.paused = false;
        assert_eq!(watching_line(Some(&status)).verdict, Verdict::Ok);
    }

    #[test]
    fn without_a_payout_wallet_the_owner_wallet_is_named() {
        let profile: AgentProfile = serde_json::from_value(serde_json::json!({
            "id": "ext_1", "name": "Neon", "owner_wallet": "EZkoXXZ5HEWdKwfv7wua7k6Dqv8aQxxHWNakq2gG2Qpb"
        }))
        .unwrap();
        let l = payout_line(&Ok(profile));
        assert_eq!(l.verdict, Verdict::Warn);
        assert!(
            l.text
                .contains("EZkoXXZ5HEWdKwfv7wua7k6Dqv8aQxxHWNakq2gG2Qpb"),
            "{}",
            l.text
        );
        assert_eq!(l.fix, Some(Fix::SetPayoutWallet));
    }

    #[test]
    fn notifications_that_reach_nobody_are_a_warning_with_a_test() {
        let facts = DesktopFacts {
            notifications_reach: false,
            notifications_on: true,
            starts_on_login: Some(true),
        };
        let l = notifications_line(facts);
        assert_eq!(
            (l.verdict, l.fix),
            (Verdict::Warn, Some(Fix::SendTestNotification))
        );
    }
}
