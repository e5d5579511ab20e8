//! The watcher's calls and what each answer means for what happens next.

use std::time::SystemTime;

use super::clock::{later, Clock, Moment};
use super::deliveries::PendingDelivery;
use super::event::{stamp, Problem, WatchEvent};
use super::ledger::CallKind;
use super::market::Marketplace;
use super::run::{Flow, Runner};
use super::schedule::{backoff, rate_limit_wait, Waiting};
use crate::error::{ApiError, NetworkProblem};
use crate::models::{Order, OrderStatus};

/// What a failed call means for trying again.
#[derive(Clone, Copy)]
enum Failure {
    /// 429: nothing limited until `until`.
    RateLimited { until: SystemTime },
    /// The server could not be reached, or did not answer in time.
    Network,
    /// The server answered, but not usefully (5xx, garbage, or a problem with the account
    /// that another attempt later might not have).
    Server,
}

impl<M: Marketplace, C: Clock> Runner<M, C> {
    pub(super) async fn poll(&mut self) -> Flow {
        let start = self.clock.moment();
        // Something else may have taken the slot since the plan was made; then the next
        // plan simply lands later.
        if self.ledger.try_spend(CallKind::OrdersPoll, start).is_err() {
            return Ok(());
        }
        self.report_ledger_problem().await?;
        self.last_poll = Some(start.wall);
        self.check_once = false;
        // With signals on, the orders waiting for payment are listed too, to follow them.
        let complete = self.signals.on();
        let answer = if complete {
            self.market.open_orders().await
        } else {
            self.market.payable_orders().await
        };
        let end = self.clock.moment();
        match answer {
            Ok(orders) => self.checked(&orders, complete, start.wall, end).await,
            Err(e) => {
                match self.classify(&e, end) {
                    Failure::RateLimited { until } => {
                        self.poll_wanted = until;
                        self.poll_why = Waiting::RateLimit;
                    }
                    failure @ (Failure::Network | Failure::Server) => {
                        self.failures = self.failures.saturating_add(1);
                        self.poll_wanted = later(
                            end.wall,
                            backoff(&self.policy, self.failures, &mut self.rng),
                        );
                        self.poll_why = Waiting::Backoff;
                        self.poll_backoff_network = matches!(failure, Failure::Network);
                    }
                }
                let again_in = self
                    .poll_plan(end)
                    .map(|plan| plan.at.duration_since(end.wall).unwrap_or_default());
                self.report(Problem::passing(&e, again_in)).await
            }
        }
    }

    /// A successful look at the orders (a poll, or a re-read for a delivery): announce
    /// what is new, follow what waits for payment (with `complete`, the listing showed
    /// those too) and plan the next regular poll.
    async fn checked(
        &mut self,
        orders: &[Order],
        complete: bool,
        start: SystemTime,
        end: Moment,
    ) -> Flow {
        self.failures = 0;
        self.offline = false;
        self.probe_saw_down = false;
        self.problem = None;
        self.last_check = Some(end.wall);
        self.signals.listed(orders, complete, start, end.wall);
        self.poll_wanted = self.next_listing(start, end);
        self.poll_why = Waiting::Interval;
        if self.signals.listing_owed.is_some() {
            // A count rose while this listing was on its way: it may not show that order.
            self.want_poll_now(end.wall);
        }
        self.announce(orders, end.wall).await?;
        let next_at = self.poll_plan(end).map(|p| stamp(p.at));
        let budget_left = self.ledger.remaining(end);
        self.emit(WatchEvent::Checked {
            at: stamp(end.wall),
            next_at,
            budget_left,
        })
        .await
    }

    pub(super) async fn probe(&mut self) -> Flow {
        let policy = self.policy;
        self.signals.note_call(&policy, self.clock.now());
        let answer = self.market.probe().await;
        let end = self.clock.now();
        match answer {
            Err(ApiError::Network(_)) => {
                self.probe_saw_down = true;
                self.probe_at = later(end, self.policy.probe_interval);
            }
            // Any answer from the server means it can be reached again.
            _ => self.reached(end).await?,
        }
        Ok(())
    }

    /// A free call got an answer after the network seemed down.
    pub(super) async fn reached(&mut self, end: SystemTime) -> Flow {
        self.offline = false;
        if self.probe_saw_down {
            // Only a wait caused by the network ends with it; a 5xx backoff or the regular
            // interval stands.
            if self.poll_why == Waiting::Backoff && self.poll_backoff_network {
                self.want_poll_now(end);
            }
            if let Err(e) = self.queue.all_due_now() {
                self.report(Problem::from(&e)).await?;
            }
        }
        if self.poll_after_probe {
            self.want_poll_now(end);
        }
        self.probe_saw_down = false;
        self.poll_after_probe = false;
        Ok(())
    }

    pub(super) async fn deliver_next(&mut self) -> Flow {
        let now = self.clock.moment();
        let Some(pending) = self.queue.due(now.wall).cloned() else {
            return Ok(());
        };
        if pending.uncertain {
            return self.recheck(now).await;
        }
        if self.ledger.try_spend(CallKind::Deliver, now).is_err() {
            return Ok(());
        }
        self.report_ledger_problem().await?;
        // Written down before sending: if no answer comes (or the app dies), the next
        // attempt re-reads the order instead of sending blindly.
        if let Err(e) = self.queue.begin(&pending.order_id) {
            self.report(Problem::from(&e)).await?;
        }
        let answer = self
            .market
            .deliver(&pending.order_id, &pending.delivery)
            .await;
        let end = self.clock.moment();
        match answer {
            Ok(order) => self.delivered(&pending.order_id, order).await,
            Err(e) => {
                let uncertain = may_have_landed(&e);
                let failure = self.classify(&e, end);
                let permanent = matches!(
                    e,
                    ApiError::Rejected { .. }
                        | ApiError::Forbidden { .. }
                        | ApiError::NotFound { .. }
                        | ApiError::Invalid(_)
                );
                if permanent {
                    self.give_up(&pending.order_id, Problem::from(&e)).await
                } else {
                    self.retry(&pending, failure, uncertain, &e, end).await
                }
            }
        }
    }

    /// Re-reads every order to learn what became of deliveries that may have landed.
    async fn recheck(&mut self, start: Moment) -> Flow {
        if self
            .ledger
            .try_spend(CallKind::DeliveryCheck, start)
            .is_err()
        {
            return Ok(());
        }
        self.report_ledger_problem().await?;
        let answer = self.market.all_orders().await;
        let end = self.clock.moment();
        let uncertain: Vec<PendingDelivery> = self
            .queue
            .items()
            .iter()
            .filter(|p| p.uncertain)
            .cloned()
            .collect();
        let orders = match answer {
            Ok(orders) => orders,
            Err(e) => {
                let failure = self.classify(&e, end);
                for pending in &uncertain {
                    self.retry(pending, failure, true, &e, end).await?;
                }
                return Ok(());
            }
        };
        for pending in &uncertain {
            let order = orders.iter().find(|o| o.id == pending.order_id);
            match order.map(|o| (o, &o.status)) {
                Some((_, status)) if status.is_payable() => {
                    if let Err(e) = self.queue.confirm_unsent(&pending.order_id) {
                        self.report(Problem::from(&e)).await?;
                    }
                }
                Some((order, status)) if was_delivered(status) => {
                    self.delivered(&pending.order_id, order.clone()).await?;
                }
                Some((_, status)) => {
                    let message = match status {
                        OrderStatus::RevisionRequested | OrderStatus::Disputed => format!(
                            "This order is now \"{status}\", so Atelier Desk can't tell whether your delivery reached the client. Check the order before delivering again."
                        ),
                        _ => format!(
                            "This order is now \"{status}\", so it can no longer be delivered."
                        ),
                    };
                    let problem = Problem {
                        code: "not_deliverable".to_owned(),
                        message,
                        detail: None,
                        retry_after_secs: None,
                    };
                    self.give_up(&pending.order_id, problem).await?;
                }
                None => {
                    let problem = Problem::from(&ApiError::NotFound {
                        server_message: "The order is no longer listed for this agent.".to_owned(),
                    });
                    self.give_up(&pending.order_id, problem).await?;
                }
            }
        }
        self.checked(&orders, true, start.wall, end).await
    }

    async fn delivered(&mut self, order_id: &str, order: Order) -> Flow {
        if let Err(e) = self.queue.remove(order_id) {
            self.report(Problem::from(&e)).await?;
        }
        self.emit(WatchEvent::Delivered { order }).await
    }

    async fn give_up(&mut self, order_id: &str, problem: Problem) -> Flow {
        if let Err(e) = self.queue.remove(order_id) {
            self.report(Problem::from(&e)).await?;
        }
        self.emit(WatchEvent::DeliveryFailed {
            order_id: order_id.to_owned(),
            problem,
        })
        .await
    }

    async fn retry(
        &mut self,
        pending: &PendingDelivery,
        failure: Failure,
        uncertain: bool,
        e: &ApiError,
        end: Moment,
    ) -> Flow {
        let not_before = match failure {
            Failure::RateLimited { until } => until,
            Failure::Network | Failure::Server => later(
                end.wall,
                backoff(
                    &self.policy,
                    pending.attempts.saturating_add(1),
                    &mut self.rng,
                ),
            ),
        };
        if let Err(e) = self
            .queue
            .retry_later(&pending.order_id, uncertain, not_before)
        {
            self.report(Problem::from(&e)).await?;
        }
        // The budget may hold it back further than the backoff does.
        let next_attempt = self
            .ledger
            .next_free_slot(CallKind::Deliver, end.at(not_before));
        let again_in = next_attempt.duration_since(end.wall).unwrap_or_default();
        let problem = Problem::passing(e, Some(again_in));
        self.problem = Some(problem.clone());
        self.emit(WatchEvent::DeliveryRetrying {
            order_id: pending.order_id.clone(),
            problem,
            next_attempt: Some(stamp(next_attempt)),
        })
        .await
    }

    /// Sorts a failed limited call, noting a 429 in the ledger and going offline (probing)
    /// after a network failure.
    fn classify(&mut self, e: &ApiError, end: Moment) -> Failure {
        match e {
            ApiError::RateLimited {
                retry_after_secs,
                reset_at,
            } => {
                let wait = rate_limit_wait(&self.policy, *retry_after_secs, *reset_at, end.wall);
                let until = end.later(wait);
                self.ledger.note_rate_limited(until);
                Failure::RateLimited { until: until.wall }
            }
            ApiError::Network(_) => {
                // "The network is back" must be seen after this failure: a probe has to
                // fail and then one has to succeed. A probe that succeeds at once only
                // says the server is reachable, and the failure stands.
                self.offline = true;
                self.probe_saw_down = false;
                self.probe_at = later(end.wall, self.policy.probe_interval);
                self.signals.read_at = self.signals.read_at.min(self.probe_at);
                Failure::Network
            }
            _ => Failure::Server,
        }
    }
}

/// Whether a failed delivery may still have been carried out by the server. Only failures
/// that happen before the request is sent (name lookup, TLS handshake) or answers that
/// refuse it outright are certain not to have landed.
fn may_have_landed(e: &ApiError) -> bool {
    match e {
        ApiError::Network(NetworkProblem::NameNotFound | NetworkProblem::Tls) => false,
        ApiError::Network(_) | ApiError::Server { .. } | ApiError::UnexpectedResponse { .. } => {
            true
        }
        _ => false,
    }
}

/// Statuses that say the deliverable is in. `revision_requested` and `disputed` do not: the
/// order may have got there from an earlier delivery, or (on the newer platform) be waiting
/// for one, so an uncertain attempt cannot be called delivered from them.
fn was_delivered(status: &OrderStatus) -> bool {
    matches!(status, OrderStatus::Delivered | OrderStatus::Completed)
}
