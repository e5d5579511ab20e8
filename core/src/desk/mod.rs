//! The running desk: everything Atelier Desk does while it runs, in one object the app
//! shell only has to hold. It owns the session (mode, marketplace, signed-in agent), one
//! rate-limit ledger per marketplace, the order watcher's life, the kept order list, and
//! one stream of news for the page, the tray and the notifications.
//!
//! New-order alerts that no desktop notification showed wait on disk, per mode and agent
//! (`alerts.rs`), until the creator has seen them. The order list is kept there too
//! (`inbox.rs`), so the Orders screen shows it at once after a restart, for free.
//!
//! Every action that can change who is signed in where (mode, real-marketplace address,
//! registration, sign-in, sign-out, keyring retry) ends by moving the watcher to match, so
//! no caller has to remember to.

mod alerts;
pub mod earnings;
mod inbox;
mod ledgers;
mod lock;
mod practice;
mod readiness;
mod reminders;
mod reviewing;
mod watching;

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

use secrecy::SecretString;
use tokio::sync::{broadcast, Mutex};

pub use alerts::{AlertsError, WaitingAlert, ALERTS_FILE};
pub use inbox::{Inbox, ORDERS_FILE};
pub use readiness::{can_be_bought, DesktopFacts, Fix, Line, Readiness, Verdict};
pub use reminders::{due_at, DEFAULT_TURNAROUND_HOURS, REMINDERS_FILE};

use crate::alerts::Alert;
use crate::client::AtelierClient;
use crate::error::{ApiError, PageError};
use crate::forms::{self, ProfileForm, ServiceForm};
use crate::models::{AgentProfile, Deactivated, Delivery, NewAgent, Order, Service};
use crate::secrets::KeyStore;
use crate::session::{Session, SessionError, SessionPaths, SessionView, Target};
use crate::settings::{Mode, Preferences};
use crate::watcher::{AtelierMarketplace, CallKind, Problem, WatchEvent, WatchStatus};
use alerts::AlertStore;
use inbox::KeptInbox;
use ledgers::Ledgers;
use reminders::Reminders;
use reviewing::Turnarounds;
use watching::{OnDeath, Running};

/// Where the desk keeps things, and the keyring it uses.
pub struct DeskConfig {
    pub settings_file: PathBuf,
    /// The practice marketplace's own database (sandbox keys only, nothing real).
    pub practice_data: PathBuf,
    /// Seen orders, queued deliveries, waiting alerts and rate ledgers, one folder per mode
    /// and agent.
    pub watch_dir: PathBuf,
    pub keys: Arc<dyn KeyStore>,
}

/// Something happened: a watcher event, or (`event: None`) only a change of status. The
/// status is the watcher's as of this news; `None` when nothing is being watched.
#[derive(Debug, Clone)]
pub struct News {
    pub event: Option<WatchEvent>,
    pub status: Option<WatchStatus>,
}

/// A fresh registration: the key, handed out once to be shown once, and the session now.
pub struct NewAccount {
    pub agent_id: String,
    pub api_key: SecretString,
    pub session: SessionView,
}

/// Cheap to clone: every clone is the same desk.
#[derive(Clone)]
pub struct Desk(Arc<Inner>);

struct Inner {
    session: Session,
    ledgers: Ledgers,
    watch_dir: PathBuf,
    running: Mutex<Option<Running>>,
    inbox: Arc<KeptInbox>,
    /// The signed-in agent's alerts waiting to be seen (empty, in memory, when nobody is).
    alerts: std::sync::Mutex<AlertStore>,
    news: broadcast::Sender<News>,
    /// Watchers that died unasked in a row, and when the last one did.
    deaths: std::sync::Mutex<(u32, Option<Instant>)>,
    /// Only the copy holding it watches and spends the budget.
    lock: lock::WatchLock,
    /// What was judged and announced about the signed-in agent's orders (`reviewing.rs`).
    reminders: std::sync::Mutex<Reminders>,
    turnarounds: std::sync::Mutex<Turnarounds>,
    /// When the known orders were last looked up without the page asking.
    followed_alone: std::sync::Mutex<Option<Instant>>,
    /// When a listing was last tried without the page asking (none kept yet).
    listed_alone: std::sync::Mutex<Instant>,
}

impl Desk {
    /// Restores the last session (settings, keyring, practice marketplace) and starts
    /// watching for its agent. Needs a tokio runtime.
    pub async fn open(config: DeskConfig) -> Desk {
        let paths = SessionPaths {
            settings_file: config.settings_file,
            practice_data: config.practice_data,
        };
        let (news, _) = broadcast::channel(64);
        let desk = Desk(Arc::new(Inner {
            session: Session::open(paths, config.keys).await,
            ledgers: Ledgers::new(config.watch_dir.clone()),
            lock: lock::WatchLock::take(&config.watch_dir),
            watch_dir: config.watch_dir,
            running: Mutex::new(None),
            inbox: Arc::default(),
            alerts: std::sync::Mutex::new(AlertStore::in_memory()),
            news,
            deaths: Default::default(),
            reminders: std::sync::Mutex::new(Reminders::in_memory()),
            turnarounds: Default::default(),
            followed_alone: Default::default(),
            listed_alone: std::sync::Mutex::new(Instant::now()),
        }));
        desk.follow_session().await;
        reviewing::review_every_little_while(Arc::downgrade(&desk.0));
        desk
    }

    /// Every piece of news from now on. A receiver that falls far behind skips the oldest.
    pub fn subscribe(&self) -> broadcast::Receiver<News> {
        self.0.news.subscribe()
    }

    // --- Session -------------------------------------------------------------------------

    pub async fn session(&self) -> SessionView {
        self.0.session.view().await
    }

    pub async fn choose_mode(
        &self,
        mode: Mode,
        live_base_url: Option<&str>,
        confirmed: bool,
    ) -> Result<SessionView, SessionError> {
        let view = self
            .0
            .session
            .choose_mode(mode, live_base_url, confirmed)
            .await;
        self.follow_session().await;
        view
    }

    pub async fn set_live_address(
        &self,
        url: &str,
        confirmed: bool,
    ) -> Result<SessionView, SessionError> {
        let view = self.0.session.set_live_address(url, confirmed).await;
        self.follow_session().await;
        view
    }

    pub async fn dismiss_notice(&self) -> SessionView {
        self.0.session.dismiss_notice().await
    }

    pub async fn retry_keyring(&self) -> SessionView {
        let view = self.0.session.retry_keyring().await;
        self.follow_session().await;
        view
    }

    /// Registers a new agent in the active mode. Only a form that would be sent may use up
    /// one of the hour's registrations.
    pub async fn register(&self, form: &NewAgent) -> Result<NewAccount, SessionError> {
        crate::validate::new_agent(form)?;
        let mode = self.spend(CallKind::Register).await?;
        let registered = self.heard(mode, self.0.session.register(form).await)?;
        self.follow_session().await;
        Ok(NewAccount {
            agent_id: registered.agent_id,
            api_key: registered.api_key,
            session: self.session().await,
        })
    }

    pub async fn sign_in(
        &self,
        agent_id: &str,
        api_key: &str,
    ) -> Result<SessionView, SessionError> {
        let view = self.0.session.sign_in(agent_id, api_key).await;
        self.follow_session().await;
        view
    }

    pub async fn sign_out(&self) -> Result<SessionView, SessionError> {
        let view = self.0.session.sign_out().await;
        self.follow_session().await;
        view
    }

    pub async fn preferences(&self) -> Preferences {
        self.0.session.preferences().await
    }

    pub async fn set_preferences(
        &self,
        preferences: Preferences,
    ) -> Result<Preferences, SessionError> {
        self.0.session.set_preferences(preferences).await
    }

    // --- Account and services -------------------------------------------------------------

    pub async fn profile(&self) -> Result<AgentProfile, SessionError> {
        let (client, _) = self.0.session.agent().await?;
        Ok(client.profile().await?)
    }

    pub async fn update_profile(&self, form: &ProfileForm) -> Result<AgentProfile, SessionError> {
        let update = forms::profile_update(form)?;
        let (client, _) = self.0.session.agent().await?;
        Ok(client.update_profile(&update).await?)
    }

    pub async fn set_payout_wallet(&self, wallet: &str) -> Result<AgentProfile, SessionError> {
        let (client, _) = self.0.session.agent().await?;
        Ok(client.set_payout_wallet(wallet).await?)
    }

    pub async fn reset_payout_wallet(&self) -> Result<AgentProfile, SessionError> {
        let (client, _) = self.0.session.agent().await?;
        Ok(client.reset_payout_wallet().await?)
    }

    pub async fn services(&self) -> Result<Vec<Service>, SessionError> {
        let (client, agent_id) = self.0.session.agent().await?;
        Ok(client.services(&agent_id).await?)
    }

    pub async fn create_service(&self, form: &ServiceForm) -> Result<Service, SessionError> {
        let new = forms::new_service(form)?;
        let (client, agent_id) = self.0.session.agent().await?;
        let mode = self.spend(CallKind::ServiceCreate).await?;
        let created = client.create_service(&agent_id, &new).await;
        self.forget_turnarounds();
        self.heard(mode, created.map_err(SessionError::from))
    }

    pub async fn update_service(
        &self,
        id: &str,
        form: &ServiceForm,
    ) -> Result<Service, SessionError> {
        let update = forms::service_update(form)?;
        let (client, _) = self.0.session.agent().await?;
        self.forget_turnarounds();
        Ok(client.update_service(id, &update).await?)
    }

    pub async fn deactivate_service(&self, id: &str) -> Result<Deactivated, SessionError> {
        let (client, _) = self.0.session.agent().await?;
        Ok(client.deactivate_service(id).await?)
    }

    // --- Orders and watching -------------------------------------------------------------

    /// The watcher's status; `None` while nobody is signed in.
    pub async fn status(&self) -> Option<WatchStatus> {
        let running = self.0.running.lock().await;
        if running.is_some() || self.0.lock.is_held() {
            return running.as_ref().map(Running::status);
        }
        drop(running);
        let (target, _) = self.0.session.target().await?;
        Some(lock::kept_out(&self.0.ledgers.of(target.mode)))
    }

    /// Every order. The kept list whenever there is one, at once and however old (free):
    /// its orders that may still change are looked up in the background through the free
    /// per-order call (`updating` says so until it has ended: ask again then). A new
    /// list (a limited call) only when `refresh` is asked or nothing is kept yet; when it
    /// cannot be had (budget, a 429, another copy, offline), the kept list comes back with
    /// `not_listed` saying why.
    pub async fn orders(&self, refresh: bool) -> Result<Inbox, SessionError> {
        if !refresh {
            if let Some(kept) = self.0.inbox.get() {
                let updating = self.follow_known().await || self.0.inbox.is_following();
                return Ok(Inbox { updating, ..kept });
            }
        }
        let asked_at = self.0.inbox.fetches();
        let _one_at_a_time = self.0.inbox.fetching.lock().await;
        // Whoever held the turn before us has just fetched it: share their answer.
        if self.0.inbox.fetches() != asked_at {
            if let Some(just_fetched) = self.0.inbox.get() {
                return Ok(just_fetched);
            }
        }
        let generation = self.0.inbox.generation();
        let listed = self.list_orders().await;
        match listed {
            Ok(orders) => Ok(self
                .0
                .inbox
                .replace(generation, orders, SystemTime::now())
                .ok_or(ApiError::NotSignedIn)?),
            Err(e) => match self.0.inbox.get() {
                Some(kept) if !matches!(e.code(), "unauthorized" | "not_signed_in") => Ok(Inbox {
                    not_listed: Some(problem_of(&e)),
                    ..kept
                }),
                _ => Err(e),
            },
        }
    }

    /// One limited listing of every order, within the budget.
    async fn list_orders(&self) -> Result<Vec<Order>, SessionError> {
        let (client, agent_id) = self.0.session.agent().await?;
        let mode = self.spend(CallKind::OrdersPoll).await?;
        let listed = client.orders(&agent_id, &[]).await;
        self.heard(mode, listed.map_err(SessionError::from))
    }

    /// Starts the free look-up of the kept orders that may still change, if it is time;
    /// says whether it started.
    async fn follow_known(&self) -> bool {
        self.follow_known_after(None).await
    }

    /// The creator asked to see the latest: the orders that may still change are looked up
    /// now (free, `GET /orders/{id}`), unless a look-up is already under way. Says
    /// whether a look-up is under way; `orders` tells when it has ended (`updating`).
    pub async fn look_again(&self) -> bool {
        self.follow_known_after(Some(Duration::ZERO)).await || self.0.inbox.is_following()
    }

    async fn follow_known_after(&self, every: Option<Duration>) -> bool {
        let due = match every {
            Some(every) => self.0.inbox.follow_due_after(every),
            None => self.0.inbox.follow_due(),
        };
        let Some(follow) = due else {
            return false;
        };
        let Ok((client, _)) = self.0.session.agent().await else {
            return false;
        };
        tokio::spawn(self.0.inbox.clone().follow(follow, client));
        true
    }

    /// Looks for orders as soon as the budget allows; a no-op when nobody is signed in.
    pub async fn check_now(&self) {
        match self.handle().await {
            Some(handle) => {
                let _ = handle.check_now().await;
            }
            // Nothing watches: maybe another copy did and has gone.
            None => self.follow_session().await,
        }
    }

    pub async fn pause(&self) {
        if let Some(handle) = self.handle().await {
            let _ = handle.pause().await;
        }
    }

    pub async fn resume(&self) {
        if let Some(handle) = self.handle().await {
            let _ = handle.resume().await;
        }
    }

    /// Pauses a running watcher or resumes a paused one.
    pub async fn toggle_pause(&self) {
        let Some(handle) = self.handle().await else {
            return;
        };
        let _ = if handle.status().paused {
            handle.resume().await
        } else {
            handle.pause().await
        };
    }

    /// Queues a confirmed delivery with the watcher, which sends it within the rate limit,
    /// keeps it across restarts, and never sends it twice. The outcome arrives as news.
    /// An order being delivered has been seen: its waiting alert goes.
    pub async fn deliver(&self, order_id: &str, form: &Delivery) -> Result<(), SessionError> {
        let delivery = crate::validate::delivery(form)?;
        self.exclusive().await?;
        let handle = self.handle().await.ok_or(ApiError::NotSignedIn)?;
        let _ = handle.deliver(order_id, delivery).await;
        let _ = self.dismiss_alerts(&[order_id.to_owned()]);
        Ok(())
    }

    // --- Alerts nobody saw yet -------------------------------------------------------------

    /// Keeps a new-order alert that no desktop notification showed, on disk before this
    /// returns, until the creator has seen its orders. On a failed save it is kept for this
    /// run only, and the error says why.
    pub fn keep_alert(&self, alert: Alert) -> std::io::Result<()> {
        self.alerts().keep(alert, SystemTime::now()).map(|_| ())
    }

    /// The signed-in agent's alerts still waiting to be seen, oldest first.
    pub fn waiting_alerts(&self) -> Vec<WaitingAlert> {
        self.alerts().waiting()
    }

    /// How many orders those alerts announce (each order once).
    pub fn waiting_orders(&self) -> usize {
        self.alerts().waiting_orders()
    }

    /// The creator has seen these orders; answers the alerts still waiting.
    pub fn dismiss_alerts(&self, order_ids: &[String]) -> Result<Vec<WaitingAlert>, AlertsError> {
        let mut alerts = self.alerts();
        alerts.dismiss(order_ids)?;
        Ok(alerts.waiting())
    }

    /// Practice mode: a pretend client orders (and pays a few seconds later). The watcher
    /// is not asked to look: it notices the order as it would a real client's, through the
    /// free order counts, so rehearsing costs the one listing a real order costs. A forced
    /// check cost a second listing, and a forced read of the counts took the free call the
    /// order's page needed next (50 s to the announcement instead of ~5 to 10).
    pub async fn simulate_order(
        &self,
        service_id: Option<&str>,
        brief: Option<&str>,
    ) -> Result<Order, SessionError> {
        let order = self.0.session.simulate_order(service_id, brief).await?;
        // Kept at once, unpaid as it is: the creator sees the client's first step.
        self.0.inbox.fold(std::slice::from_ref(&order));
        if self.handle().await.is_none() {
            // Nothing watches: maybe another copy did and has gone.
            self.follow_session().await;
        }
        Ok(order)
    }

    /// Stops watching, for quitting: a delivery in flight gets a few seconds to finish.
    pub async fn stop(&self) {
        let running = self.0.running.lock().await.take();
        if let Some(running) = running {
            running.stop().await;
        }
        self.0.lock.release();
    }

    // --- Inside the desk -----------------------------------------------------------------

    fn alerts(&self) -> std::sync::MutexGuard<'_, AlertStore> {
        self.0.alerts.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn handle(&self) -> Option<crate::watcher::WatcherHandle> {
        let running = self.0.running.lock().await;
        running.as_ref().map(|r| r.handle.clone())
    }

    /// Takes one limited call from the active mode's budget; says which mode that was.
    async fn spend(&self, kind: CallKind) -> Result<Mode, SessionError> {
        self.exclusive().await?;
        let mode = self.0.session.mode().await?;
        self.0.ledgers.spend(mode, kind)?;
        Ok(mode)
    }

    /// Refuses what would spend the budget while another copy watches; once it has gone,
    /// takes over, watching included.
    async fn exclusive(&self) -> Result<(), SessionError> {
        if self.0.lock.is_held() {
            return Ok(());
        }
        if !self.0.lock.held() {
            return Err(SessionError::AnotherCopy);
        }
        self.follow_session().await;
        Ok(())
    }

    /// Passes a limited call's answer on, a 429 noted in `mode`'s ledger first.
    fn heard<T>(&self, mode: Mode, answer: Result<T, SessionError>) -> Result<T, SessionError> {
        if let Err(SessionError::Api(e)) = &answer {
            self.0.ledgers.heard(mode, e);
        }
        answer
    }

    /// Moves the watcher to whoever is signed in where: the same target keeps its watcher;
    /// another mode, address or agent stops the old one before the new one starts; nobody
    /// signed in means no watcher.
    async fn follow_session(&self) {
        let wanted = self.0.session.target().await;
        let mut running = self.0.running.lock().await;
        if running.as_ref().map(|r| &r.target) == wanted.as_ref().map(|(t, _)| t) {
            return;
        }
        if let Some(old) = running.take() {
            old.stop().await;
        }
        let agent_dir = wanted
            .as_ref()
            .map(|(target, _)| watching::agent_dir(&self.0.watch_dir, target));
        if let Some(e) = self
            .0
            .inbox
            .open(agent_dir.as_ref().map(|dir| dir.join(ORDERS_FILE)))
        {
            // Only a copy of what Atelier has: the next listing rebuilds it.
            eprintln!("Atelier Desk: the kept order list was set aside: {e}");
        }
        let (alerts, damaged) = match &agent_dir {
            Some(dir) => AlertStore::open(&dir.join(ALERTS_FILE)),
            None => (AlertStore::in_memory(), None),
        };
        *self.alerts() = alerts;
        self.reopen_reminders(agent_dir.as_deref());
        let mut kept_out = None;
        let problem = match wanted {
            Some((target, client)) if self.0.lock.held() => {
                self.start_watching(&mut running, target, client).err()
            }
            Some((target, _)) => {
                kept_out = Some(lock::kept_out(&self.0.ledgers.of(target.mode)));
                Some(lock::another_copy())
            }
            None => None,
        };
        let problem = problem.or(damaged.map(|e| Problem {
            code: "storage".to_owned(),
            message: "Atelier Desk couldn't read which new-order alerts you hadn't seen yet. Your orders are all in the inbox.".to_owned(),
            detail: Some(e.to_string()),
            retry_after_secs: None,
        }));
        let status = running.as_ref().map(Running::status).or(kept_out);
        let event = problem.map(|problem| WatchEvent::Problem { problem });
        let _ = self.0.news.send(News { event, status });
    }

    fn start_watching(
        &self,
        running: &mut Option<Running>,
        target: Target,
        client: AtelierClient,
    ) -> Result<(), Problem> {
        let market = AtelierMarketplace::new(client.clone(), target.agent_id.clone());
        let on_death: OnDeath = {
            let (desk, target) = (Arc::downgrade(&self.0), target.clone());
            Box::new(move || revive_later(desk, target, client))
        };
        let started = Running::start(
            target.clone(),
            market,
            &self.0.watch_dir,
            self.0.ledgers.of(target.mode),
            self.0.inbox.clone(),
            self.0.news.clone(),
            on_death,
        )?;
        *running = Some(started);
        Ok(())
    }

    /// Starts a new watcher for `target` if the one there died and nothing moved meanwhile.
    async fn revive(&self, target: Target, client: AtelierClient) {
        let mut running = self.0.running.lock().await;
        if !running
            .as_ref()
            .is_some_and(|r| r.target == target && r.is_dead())
        {
            return;
        }
        if let Some(dead) = running.take() {
            dead.stop().await;
        }
        let problem = self.start_watching(&mut running, target, client).err();
        let status = running.as_ref().map(Running::status);
        let event = problem.map(|problem| WatchEvent::Problem { problem });
        let _ = self.0.news.send(News { event, status });
    }
}

/// A refused listing, for the page to say why it sees the kept list instead.
fn problem_of(e: &SessionError) -> Problem {
    let view = serde_json::to_value(e).unwrap_or_default();
    let text = |key: &str| view.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    Problem {
        code: e.code().to_owned(),
        message: text("message").unwrap_or_else(|| e.to_string()),
        detail: text("detail"),
        retry_after_secs: view.get("retry_after_secs").and_then(|v| v.as_u64()),
    }
}

/// Schedules a new watcher for `target` after a pause that grows with each death in a row
/// (a watcher that keeps dying must not spin), and says how long the pause is.
fn revive_later(desk: Weak<Inner>, target: Target, client: AtelierClient) -> Duration {
    let Some(inner) = desk.upgrade() else {
        return Duration::ZERO;
    };
    let delay = {
        let mut deaths = inner.deaths.lock().unwrap_or_else(|p| p.into_inner());
        let (in_a_row, last) = &mut *deaths;
        let recent = last.is_some_and(|at| at.elapsed() < Duration::from_secs(30 * 60));
        *in_a_row = if recent {
            in_a_row.saturating_add(1)
        } else {
            1
        };
        *last = Some(Instant::now());
        watching::revival_delay(*in_a_row)
    };
    drop(inner);
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        if let Some(inner) = desk.upgrade() {
            Desk(inner).revive(target, client).await;
        }
    });
    delay
}
