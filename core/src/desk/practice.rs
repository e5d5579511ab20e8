//! Practice mode's pretend client and clock, as the running desk plays them: the session
//! sends the control request to the practice marketplace, then what changed is folded into
//! the kept order list (so the Orders screen, and whatever reads that list, moves at once,
//! without a limited listing) and one piece of news goes out.
//!
//! The news is `News { event: None, status }` (the page's `watch-event` `{"type":
//! "status"}`): no watcher event says "the client changed an order", and inventing one
//! belongs with the watcher's events. The page updates from the commands' answers, which
//! carry the orders as they now are.
//!
//! Outside Practice mode both refuse with `SessionError::NotPractice` before anything is
//! sent: there is no pretend client on the real marketplace.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{Desk, News};
use crate::models::{Order, OrderStatus};
use crate::sandbox::simulate::{ClientAction, ClockJump, MAX_ADVANCE_SECS};
use crate::session::SessionError;

impl Desk {
    /// Practice mode: the pretend client acts on `order_id` (pays, cancels, approves with or
    /// without a payout, disputes, or lets the review window lapse). Answers the order as
    /// the practice marketplace now has it, already folded into the kept list. A refusal
    /// (an action the order's status does not allow) comes back in the marketplace's words
    /// and changes nothing.
    ///
    /// Letting the review window lapse moves the whole practice clock (every order ages
    /// with it, as `docs/sandbox.md` says): the desk moves it first, by just as much, so
    /// the other kept orders are folded in with their new times too; then the order is
    /// auto-completed as the platform's guide promises (the real server does not do this).
    pub async fn play_client(
        &self,
        order_id: &str,
        action: ClientAction,
    ) -> Result<Order, SessionError> {
        if self.0.session.practice_url().await.is_none() {
            return Err(SessionError::NotPractice);
        }
        if action == ClientAction::LapseReview {
            if let Some(secs) = self.until_review_lapses(order_id) {
                self.advance_practice_clock(secs).await?;
            }
        }
        let order = self.0.session.play_client(order_id, action).await?;
        self.0.inbox.fold(std::slice::from_ref(&order));
        self.tell_orders_changed().await;
        Ok(order)
    }

    /// Practice mode: `secs` pass on the practice marketplace at once (1 to 30 days):
    /// every order is that much older, so due times and review windows come without
    /// waiting. Review windows that run out leave their orders `delivered`, as on the real
    /// server (named in `lapsed_reviews`). The kept orders are folded in as they now are;
    /// the answer's `orders` and `lapsed_reviews` hold only those (the practice
    /// marketplace may hold other practice agents' orders, which are none of this one's
    /// business).
    pub async fn advance_practice_clock(&self, secs: u64) -> Result<ClockJump, SessionError> {
        let mut jump = self.0.session.advance_clock(secs).await?;
        let kept = self
            .0
            .inbox
            .get()
            .map(|inbox| inbox.orders)
            .unwrap_or_default();
        let is_kept = |id: &str| kept.iter().any(|k| k.id == id);
        jump.orders.retain(|o| is_kept(&o.id));
        jump.lapsed_reviews.retain(|id| is_kept(id));
        self.0.inbox.fold(&jump.orders);
        self.tell_orders_changed().await;
        Ok(jump)
    }

    /// How far the clock must move for the kept order's review window to be one second
    /// past, as the marketplace's own lapse would move it; `None` when the order is not
    /// kept as delivered or its window has passed already.
    fn until_review_lapses(&self, order_id: &str) -> Option<u64> {
        let kept = self.0.inbox.get()?;
        let order = kept.orders.iter().find(|o| o.id == order_id)?;
        if order.status != OrderStatus::Delivered {
            return None;
        }
        let deadline = order.review_deadline?.unix();
        // To the second, as the marketplace counts (`secs_until`): one past the deadline.
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        let secs = u64::try_from(deadline - i64::try_from(now).ok()? + 1).ok()?;
        (1..=MAX_ADVANCE_SECS).contains(&secs).then_some(secs)
    }

    /// The kept list changed under the page: one piece of news, with the status as it is.
    async fn tell_orders_changed(&self) {
        let status = self.status().await;
        let _ = self.0.news.send(News {
            event: None,
            status,
        });
    }
}
