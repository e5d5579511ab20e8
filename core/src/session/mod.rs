//! Who the app is talking to, and as whom: the active mode (real marketplace or practice),
//! the signed-in agent, and the key's trip between the keyring and the client.
//!
//! Each mode keeps its own account (agent id in the settings, key in the keyring under a
//! mode-specific name), so switching to Practice and back never signs anyone out. The real
//! account belongs to one address: moving to another signs it out, so the key never
//! travels to a server it was not issued by.

mod practice;

use std::path::PathBuf;
use std::sync::Arc;

use secrecy::SecretString;
use tokio::sync::Mutex;

use crate::base_url::{BaseUrl, DEFAULT_BASE_URL};
use crate::client::AtelierClient;
use crate::error::{ApiError, ErrorView, PageError};
use crate::models::{mask_key, NewAgent};
use crate::sandbox::Sandbox;
use crate::secrets::{account_name, KeyStore, KeyringError};
use crate::settings::{Mode, Preferences, Settings, SettingsFile};
use crate::validate::{self, ValidationErrors};

/// Where the session keeps its files.
#[derive(Debug, Clone)]
pub struct SessionPaths {
    pub settings_file: PathBuf,
    /// The practice marketplace's own database (sandbox keys only, nothing real).
    pub practice_data: PathBuf,
}

pub struct Session {
    settings_file: SettingsFile,
    practice_data: PathBuf,
    keys: Arc<dyn KeyStore>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    settings: Settings,
    notice: Option<String>,
    practice: Option<Sandbox>,
    /// The active mode's connection, signed in when `agent` is set.
    client: Option<AtelierClient>,
    agent: Option<SignedIn>,
    keyring_problem: Option<KeyringError>,
    /// A key the keyring refused, kept in memory (only) until it can be saved or the app quits.
    unsaved: Option<Unsaved>,
}

struct Unsaved {
    mode: Mode,
    agent_id: String,
    key: SecretString,
}

#[derive(Clone)]
struct SignedIn {
    agent_id: String,
    key_hint: String,
    /// False when the keyring refused the key: it then lives only in memory until quit.
    saved: bool,
}

/// What the page needs to know about the session. Never holds the key itself.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionView {
    pub mode: Option<Mode>,
    pub base_url: Option<String>,
    pub live_base_url: String,
    pub default_base_url: &'static str,
    pub signed_in: bool,
    pub agent_id: Option<String>,
    pub key_hint: Option<String>,
    pub key_saved: bool,
    pub keyring_problem: Option<KeyringError>,
    pub notice: Option<String>,
}

/// One agent on one marketplace: what a watcher watches. Any change means another watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub mode: Mode,
    pub base_url: String,
    pub agent_id: String,
}

/// A fresh registration: the key is handed out once, to be shown once.
pub struct Registered {
    pub agent_id: String,
    pub api_key: SecretString,
    pub view: SessionView,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error("Choose whether to use Atelier or Practice mode first.")]
    NoMode,
    #[error("Couldn't save your settings ({0}). Check that your home folder has free space.")]
    Settings(String),
    #[error("Practice mode couldn't start its marketplace ({0}).")]
    Practice(String),
    #[error("Pretend orders exist only in Practice mode.")]
    NotPractice,
    #[error("Create a service first: a pretend client needs something to order.")]
    NoService,
    #[error("Another copy of Atelier Desk is already watching for orders on this computer. Use that copy, or quit it and try again here.")]
    AnotherCopy,
    #[error("Your Atelier account ({agent_id}) belongs to the address you use now. Moving to another address signs it out here, and Atelier Desk will not send its key to the new address. To sign in there you will need an agent ID and API key from that marketplace.")]
    ConfirmAddressChange { agent_id: String },
}

impl PageError for SessionError {
    fn code(&self) -> &'static str {
        match self {
            SessionError::Api(e) => e.code(),
            SessionError::Keyring(e) => e.code(),
            SessionError::NoMode => "no_mode",
            SessionError::Settings(_) => "settings_failed",
            SessionError::Practice(_) => "practice_failed",
            SessionError::NotPractice => "not_practice",
            SessionError::NoService => "no_service",
            SessionError::ConfirmAddressChange { .. } => "confirm_address_change",
            SessionError::AnotherCopy => "another_copy",
        }
    }

    fn view(&self) -> ErrorView<'_> {
        match self {
            SessionError::Api(e) => e.view(),
            SessionError::Keyring(e) => e.view(),
            SessionError::ConfirmAddressChange { .. } => ErrorView {
                code: self.code(),
                message: self.to_string(),
                field: Some("base_url"),
                ..ErrorView::default()
            },
            other => ErrorView {
                code: other.code(),
                message: other.to_string(),
                ..ErrorView::default()
            },
        }
    }
}

crate::serialize_as_page_error!(SessionError);

impl From<ValidationErrors> for SessionError {
    fn from(errors: ValidationErrors) -> Self {
        SessionError::Api(ApiError::Invalid(errors))
    }
}

impl Session {
    /// Restores the last session: its mode, its marketplace and, from the keyring, its key.
    pub async fn open(paths: SessionPaths, keys: Arc<dyn KeyStore>) -> Session {
        let settings_file = SettingsFile::new(paths.settings_file);
        let (settings, notice) = settings_file.load();
        let session = Session {
            settings_file,
            practice_data: paths.practice_data,
            keys,
            state: Mutex::new(State {
                settings,
                notice,
                ..State::default()
            }),
        };
        let mut state = session.state.lock().await;
        if let Some(mode) = state.settings.mode {
            if let Err(e) = session.activate(&mut state, mode).await {
                state.notice = Some(e.to_string());
            }
        }
        drop(state);
        session
    }

    pub async fn view(&self) -> SessionView {
        let state = self.state.lock().await;
        self.view_of(&state)
    }

    /// Switches to `mode`; for the real marketplace, `live_base_url` (when given) is the
    /// address chosen under Advanced, checked before anything is saved. A different address
    /// while a real account is remembered needs `confirmed` (see [`Session::set_live_address`]).
    pub async fn choose_mode(
        &self,
        mode: Mode,
        live_base_url: Option<&str>,
        confirmed: bool,
    ) -> Result<SessionView, SessionError> {
        let mut state = self.state.lock().await;
        let mut settings = state.settings.clone();
        if let Some(url) = live_base_url {
            settings = self.move_live_account(settings, url, confirmed).await?;
        }
        settings.mode = Some(mode);
        self.save(&mut state, settings)?;
        self.activate(&mut state, mode).await?;
        Ok(self.view_of(&state))
    }

    /// Saves the real marketplace's address. The remembered real account was issued by the
    /// old address: unless the creator `confirmed` they want to leave it, nothing changes;
    /// if they did, it is signed out (its key leaves the keyring) before anything talks to
    /// the new address.
    pub async fn set_live_address(
        &self,
        url: &str,
        confirmed: bool,
    ) -> Result<SessionView, SessionError> {
        let mut state = self.state.lock().await;
        let settings = state.settings.clone();
        let settings = self.move_live_account(settings, url, confirmed).await?;
        if settings == state.settings {
            return Ok(self.view_of(&state));
        }
        self.save(&mut state, settings)?;
        if state.settings.mode == Some(Mode::Live) {
            self.activate(&mut state, Mode::Live).await?;
        }
        Ok(self.view_of(&state))
    }

    /// `settings` with the real marketplace at `url`; if that is a new address and a real
    /// account is remembered, without it (and without its key in the keyring).
    async fn move_live_account(
        &self,
        mut settings: Settings,
        url: &str,
        confirmed: bool,
    ) -> Result<Settings, SessionError> {
        let url = url.trim();
        let wanted = if url.is_empty() || url == DEFAULT_BASE_URL {
            None
        } else {
            let checked = BaseUrl::parse(url)
                .map_err(|e| ValidationErrors::single("base_url", e.to_string()))?;
            Some(checked.to_string()).filter(|u| u != DEFAULT_BASE_URL)
        };
        if wanted == settings.live_base_url {
            return Ok(settings);
        }
        if let Some(agent_id) = settings.live.agent_id.clone() {
            if !confirmed {
                return Err(SessionError::ConfirmAddressChange { agent_id });
            }
            let keys = self.keys.clone();
            let account = account_name(Mode::Live.as_str(), &agent_id);
            blocking(move || keys.remove(&account)).await?;
            settings.live.agent_id = None;
        }
        settings.live_base_url = wanted;
        Ok(settings)
    }

    /// Registers a new agent in the active mode, keeps its key in the keyring and signs in.
    /// The key is returned once so the creator can copy it; if the keyring refused it, the
    /// view says so and the key lives in memory only until the app quits.
    pub async fn register(&self, form: &NewAgent) -> Result<Registered, SessionError> {
        let mut state = self.state.lock().await;
        let mode = state.settings.mode.ok_or(SessionError::NoMode)?;
        let client = state.client.clone().ok_or(SessionError::NoMode)?;
        let registration = client.register(form).await?;
        self.remember(
            &mut state,
            mode,
            &registration.agent_id,
            registration.api_key.clone(),
        )
        .await;
        Ok(Registered {
            agent_id: registration.agent_id,
            api_key: registration.api_key,
            view: self.view_of(&state),
        })
    }

    /// Signs in with an existing agent: the key must open that agent's profile on the
    /// active marketplace before it is kept.
    pub async fn sign_in(
        &self,
        agent_id: &str,
        api_key: &str,
    ) -> Result<SessionView, SessionError> {
        let (agent_id, key) = match (validate::agent_id(agent_id), validate::api_key(api_key)) {
            (Ok(id), Ok(key)) => (id, key),
            (id, key) => {
                let mut problems = ValidationErrors::default();
                for err in [id.err(), key.err()].into_iter().flatten() {
                    problems.problems.extend(err.problems);
                }
                return Err(problems.into());
            }
        };
        let mut state = self.state.lock().await;
        let mode = state.settings.mode.ok_or(SessionError::NoMode)?;
        let client = state.client.clone().ok_or(SessionError::NoMode)?;
        let profile = client.signed_in(key.clone()).profile().await.map_err(|e| match e {
            ApiError::Unauthorized { .. } => ValidationErrors::single(
                "api_key",
                "Atelier didn't accept this key. Check that you pasted the whole key you saved when you registered.",
            )
            .into(),
            other => SessionError::Api(other),
        })?;
        if profile.id != agent_id {
            return Err(ValidationErrors::single(
                "agent_id",
                format!(
                    "This key belongs to a different agent ({}). Check the agent ID.",
                    profile.id
                ),
            )
            .into());
        }
        self.remember(&mut state, mode, &agent_id, key).await;
        Ok(self.view_of(&state))
    }

    /// Forgets the agent of the active mode and removes its key from the keyring. If the
    /// keyring cannot remove it, nothing changes and the creator is told.
    pub async fn sign_out(&self) -> Result<SessionView, SessionError> {
        let mut state = self.state.lock().await;
        let mode = state.settings.mode.ok_or(SessionError::NoMode)?;
        if let Some(agent) = state.agent.clone() {
            let keys = self.keys.clone();
            let account = account_name(mode.as_str(), &agent.agent_id);
            blocking(move || keys.remove(&account)).await?;
        }
        let mut settings = state.settings.clone();
        settings.account_mut(mode).agent_id = None;
        self.save(&mut state, settings)?;
        state.agent = None;
        state.keyring_problem = None;
        state.unsaved = None;
        state.client = state
            .client
            .take()
            .map(|c| AtelierClient::new(c.base_url().clone()))
            .transpose()?;
        Ok(self.view_of(&state))
    }

    /// Tries the keyring again: saves a key that is only in memory, or reads the key of a
    /// remembered agent.
    pub async fn retry_keyring(&self) -> SessionView {
        let mut state = self.state.lock().await;
        if let Some(mode) = state.settings.mode {
            if let Err(e) = self.activate(&mut state, mode).await {
                state.notice = Some(e.to_string());
            }
        }
        self.view_of(&state)
    }

    /// The signed-in client and agent id, for everything that acts as the agent.
    pub async fn agent(&self) -> Result<(AtelierClient, String), SessionError> {
        let state = self.state.lock().await;
        let client = state.client.clone().ok_or(SessionError::NoMode)?;
        match (&state.agent, client.is_signed_in()) {
            (Some(agent), true) => Ok((client, agent.agent_id.clone())),
            _ => Err(ApiError::NotSignedIn.into()),
        }
    }

    /// Who is signed in where, for the watcher: `None` when nobody is.
    pub async fn target(&self) -> Option<(Target, AtelierClient)> {
        let state = self.state.lock().await;
        let client = state.client.clone()?;
        let agent = state.agent.as_ref().filter(|_| client.is_signed_in())?;
        let target = Target {
            mode: state.settings.mode?,
            base_url: client.base_url().to_string(),
            agent_id: agent.agent_id.clone(),
        };
        Some((target, client))
    }

    /// The active mode, for everything that is counted per marketplace.
    pub async fn mode(&self) -> Result<Mode, SessionError> {
        self.state
            .lock()
            .await
            .settings
            .mode
            .ok_or(SessionError::NoMode)
    }

    /// The practice marketplace's address, when Practice mode is running.
    pub async fn practice_url(&self) -> Option<String> {
        self.state
            .lock()
            .await
            .practice
            .as_ref()
            .map(Sandbox::base_url)
    }

    pub async fn preferences(&self) -> Preferences {
        self.state.lock().await.settings.preferences.clone()
    }

    pub async fn set_preferences(
        &self,
        preferences: Preferences,
    ) -> Result<Preferences, SessionError> {
        let mut state = self.state.lock().await;
        let mut settings = state.settings.clone();
        settings.preferences = preferences;
        self.save(&mut state, settings)?;
        Ok(state.settings.preferences.clone())
    }

    pub async fn dismiss_notice(&self) -> SessionView {
        let mut state = self.state.lock().await;
        state.notice = None;
        self.view_of(&state)
    }

    /// Connects to `mode`'s marketplace and restores its account from the keyring.
    async fn activate(&self, state: &mut State, mode: Mode) -> Result<(), SessionError> {
        let client = self.connect(state, mode).await?;
        let client = self.restore_account(state, mode, client).await;
        state.client = Some(client);
        Ok(())
    }

    /// A client for `mode`'s marketplace, not signed in; starts the practice one if needed.
    async fn connect(&self, state: &mut State, mode: Mode) -> Result<AtelierClient, SessionError> {
        let base = match mode {
            Mode::Live => {
                state.practice = None;
                BaseUrl::from_env_or(state.settings.live_base_url.as_deref())
                    .map_err(|e| ValidationErrors::single("base_url", e.to_string()))?
            }
            Mode::Practice => {
                if state.practice.is_none() {
                    let (sandbox, damaged) = practice::start(&self.practice_data).await?;
                    state.practice = Some(sandbox);
                    if let Some(kept) = damaged {
                        self.start_practice_afresh(state, &kept).await;
                    }
                }
                match &state.practice {
                    Some(sandbox) => practice::base_url(sandbox)?,
                    None => unreachable!("started just above"),
                }
            }
        };
        Ok(AtelierClient::new(base)?)
    }

    /// The practice data was damaged and set aside as `kept`: the practice account lived in
    /// it, so it is forgotten (its key would open nothing), and the creator is told.
    async fn start_practice_afresh(&self, state: &mut State, kept: &std::path::Path) {
        if let Some(agent_id) = state.settings.practice.agent_id.clone() {
            let keys = self.keys.clone();
            let account = account_name(Mode::Practice.as_str(), &agent_id);
            // A key left behind is harmless: it belongs to a marketplace that is gone.
            let _ = blocking(move || keys.remove(&account)).await;
            let mut settings = state.settings.clone();
            settings.practice.agent_id = None;
            if self.save(state, settings.clone()).is_err() {
                state.settings = settings;
            }
        }
        if state
            .unsaved
            .as_ref()
            .is_some_and(|u| u.mode == Mode::Practice)
        {
            state.unsaved = None;
        }
        let said = format!(
            "Practice mode's data was damaged, so practice starts afresh: the practice agent, services and orders from before are gone, and you can register a new practice agent. Your Atelier account is not affected. The damaged file was kept as {}.",
            kept.display()
        );
        state.notice = Some(match state.notice.take() {
            Some(earlier) => format!("{earlier} {said}"),
            None => said,
        });
    }

    /// Signs `client` in as `mode`'s remembered agent: with a key the keyring refused earlier
    /// (trying to save it again), or with the keyring's. Problems are kept in `state`.
    async fn restore_account(
        &self,
        state: &mut State,
        mode: Mode,
        client: AtelierClient,
    ) -> AtelierClient {
        state.agent = None;
        state.keyring_problem = None;
        let Some(agent_id) = state.settings.account(mode).agent_id.clone() else {
            return client;
        };
        let keys = self.keys.clone();
        let account = account_name(mode.as_str(), &agent_id);
        let unsaved = state
            .unsaved
            .take()
            .filter(|u| u.mode == mode && u.agent_id == agent_id);
        if let Some(pending) = unsaved {
            let key = pending.key.clone();
            let saved = blocking(move || keys.write(&account, &key)).await;
            state.agent = Some(SignedIn {
                agent_id,
                key_hint: hint(&pending.key),
                saved: saved.is_ok(),
            });
            let client = client.signed_in(pending.key.clone());
            if let Err(problem) = saved {
                state.keyring_problem = Some(problem);
                state.unsaved = Some(pending);
            }
            return client;
        }
        match blocking(move || keys.read(&account)).await {
            Ok(Some(key)) => {
                state.agent = Some(SignedIn {
                    agent_id,
                    key_hint: hint(&key),
                    saved: true,
                });
                client.signed_in(key)
            }
            Ok(None) => {
                state.notice = Some(
                    "Your API key isn't in the keyring any more, so you're signed out. Sign in again with your saved key."
                        .to_owned(),
                );
                client
            }
            Err(problem) => {
                state.keyring_problem = Some(problem);
                client
            }
        }
    }

    /// Keeps a verified key: in the keyring when possible, always in the client. Never
    /// fails: the agent already exists on Atelier, and its key must reach the creator even
    /// if the settings file or the keyring cannot be written (both are reported instead).
    async fn remember(&self, state: &mut State, mode: Mode, agent_id: &str, key: SecretString) {
        let mut settings = state.settings.clone();
        settings.account_mut(mode).agent_id = Some(agent_id.to_owned());
        if let Err(e) = self.save(state, settings.clone()) {
            state.settings = settings;
            state.notice = Some(format!(
                "{e} You'll need your API key to sign in again next time."
            ));
        }
        let keys = self.keys.clone();
        let account = account_name(mode.as_str(), agent_id);
        let to_store = key.clone();
        let saved = blocking(move || keys.write(&account, &to_store)).await;
        state.agent = Some(SignedIn {
            agent_id: agent_id.to_owned(),
            key_hint: hint(&key),
            saved: saved.is_ok(),
        });
        state.client = state.client.take().map(|c| c.signed_in(key.clone()));
        state.unsaved = None;
        state.keyring_problem = None;
        if let Err(problem) = saved {
            state.keyring_problem = Some(problem);
            state.unsaved = Some(Unsaved {
                mode,
                agent_id: agent_id.to_owned(),
                key,
            });
        }
    }

    fn save(&self, state: &mut State, settings: Settings) -> Result<(), SessionError> {
        self.settings_file
            .save(&settings)
            .map_err(|e| SessionError::Settings(e.to_string()))?;
        state.settings = settings;
        Ok(())
    }

    fn view_of(&self, state: &State) -> SessionView {
        SessionView {
            mode: state.settings.mode,
            base_url: state.client.as_ref().map(|c| c.base_url().to_string()),
            live_base_url: state
                .settings
                .live_base_url
                .clone()
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
            default_base_url: DEFAULT_BASE_URL,
            signed_in: state.agent.is_some(),
            agent_id: state.agent.as_ref().map(|a| a.agent_id.clone()),
            key_hint: state.agent.as_ref().map(|a| a.key_hint.clone()),
            key_saved: state.agent.as_ref().is_some_and(|a| a.saved),
            keyring_problem: state.keyring_problem.clone(),
            notice: state.notice.clone(),
        }
    }
}

fn hint(key: &SecretString) -> String {
    use secrecy::ExposeSecret;
    mask_key(key.expose_secret())
}

/// Keyring calls block on D-Bus: keep them off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, KeyringError> + Send + 'static,
) -> Result<T, KeyringError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(KeyringError::Failed {
            detail: e.to_string(),
        })
    })
}
