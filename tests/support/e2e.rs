//! End to end: the real Atelier Desk window, driven like a person would drive it.
//!
//! A story creates a [`TestProfile`] (fresh data, config and cache directories, and an empty
//! session keyring), launches the built app with [`AppUnderTest::launch`], and talks to the
//! page through CSS selectors:
//!
//! ```text
//! let profile = TestProfile::new().await;
//! let app = AppUnderTest::launch(&profile).await;
//! app.wait_for(r#"html[data-ready="true"]"#).await;
//! assert_eq!(app.text("#app-name").await, "Atelier Desk");
//! app.screenshot("welcome").await;
//! app.quit().await;
//! ```
//!
//! Everything here needs the private desktop session of `scripts/e2e-session` (Xvfb, a
//! D-Bus session bus, a throwaway gnome-keyring, dunst); without it, it panics saying so.
//! Stories run one at a time: a [`TestProfile`] holds the session's turn until it is
//! dropped, because the keyring and the notification server are shared by the session.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant, SystemTime};

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::StreamExt;

use crate::procfs::{all_pids, descendants, stat};
use tokio::sync::{watch, OwnedMutexGuard};

pub use fantoccini::elements::Element;

/// How long `wait_for` and friends wait before giving up.
pub const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);
/// The longest one WebDriver command may take: a hung window fails the story, never hangs it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// The app's identifier (tauri.conf.json): its directories are named after it.
pub const APP_IDENTIFIER: &str = "fun.agentgram.atelier-desk";

/// The CSS selector that matches once the first screen is painted (see ui/main.js).
pub const READY: &str = r#"html[data-ready="true"]"#;

// ---------------------------------------------------------------------------------------
// The session and the files
// ---------------------------------------------------------------------------------------

/// Panics unless this process runs inside `scripts/e2e-session`.
pub fn require_session() {
    let marker = std::env::var("ATELIER_E2E_SESSION").ok();
    let display = std::env::var("DISPLAY").ok().filter(|d| !d.is_empty());
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS")
        .ok()
        .filter(|b| !b.is_empty());
    if marker.as_deref() != Some("1") || display.is_none() || bus.is_none() {
        panic!(
            "End-to-end tests need the private desktop session (virtual display, D-Bus session bus, \
             throwaway keyring, notification server). Run them through scripts/e2e-session, e.g.\n    \
             scripts/e2e-session cargo test -p atelier-tests --test e2e\n\
             (ATELIER_E2E_SESSION={marker:?}, DISPLAY={display:?}, DBUS_SESSION_BUS_ADDRESS={bus:?})"
        );
    }
}

/// The cargo workspace this crate belongs to.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits inside the workspace")
        .to_path_buf()
}

/// `CARGO_TARGET_DIR` when set (relative to the workspace), else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// The debug build of the app, or the binary `ATELIER_APP_BINARY` names (the watcher
/// benchmark drives the release build). Panics if it has not been built.
pub fn app_binary() -> PathBuf {
    let path = match std::env::var_os("ATELIER_APP_BINARY").filter(|p| !p.is_empty()) {
        Some(path) => workspace_root().join(path),
        None => target_dir().join("debug").join("atelier-desk"),
    };
    assert!(
        path.is_file(),
        "the app binary {} is missing: build it first: cargo build -p atelier-desk",
        path.display()
    );
    warn_if_stale(&path);
    path
}

/// Says so (in the test's output, shown when it fails) when the app is older than its sources:
/// an E2E test of yesterday's build is a classic waste of an afternoon.
fn warn_if_stale(binary: &Path) {
    let Ok(built) = fs::metadata(binary).and_then(|m| m.modified()) else {
        return;
    };
    let root = workspace_root();
    let newest = [
        "ui",
        "src-tauri/src",
        "src-tauri/tauri.conf.json",
        "core/src",
    ]
    .iter()
    .filter_map(|p| newest_file(&root.join(p)))
    .max_by_key(|(time, _)| *time);
    if let Some((time, path)) = newest {
        if time > built {
            eprintln!(
                "warning: {} is older than {}: rebuild with `cargo build -p atelier-desk`",
                binary.display(),
                path.display()
            );
        }
    }
}

fn newest_file(path: &Path) -> Option<(SystemTime, PathBuf)> {
    let meta = fs::metadata(path).ok()?;
    if meta.is_file() {
        return Some((meta.modified().ok()?, path.to_path_buf()));
    }
    fs::read_dir(path)
        .ok()?
        .filter_map(|entry| newest_file(&entry.ok()?.path()))
        .max_by_key(|(time, _)| *time)
}

/// `tauri-driver` from `TAURI_DRIVER`, the `PATH` or `~/.cargo/bin`.
pub fn tauri_driver() -> PathBuf {
    if let Some(path) = std::env::var_os("TAURI_DRIVER").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let cargo_bin = std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo/bin"));
    std::env::split_paths(&path)
        .chain(cargo_bin)
        .map(|dir| dir.join("tauri-driver"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "tauri-driver is not installed: `cargo install tauri-driver --version '^2' --locked` \
                 (scripts/setup test does it)"
            )
        })
}

/// Where a story's screenshots and logs go: `<target>/e2e-screenshots/<story>/`.
pub fn artifacts_dir(story: &str) -> PathBuf {
    target_dir().join("e2e-screenshots").join(story)
}

/// One story at a time in this process: the session's keyring and notification server are shared.
static SESSION_TURN: LazyLock<Arc<tokio::sync::Mutex<()>>> = LazyLock::new(Default::default);
/// The thread whose story has the turn, to fail (not deadlock) on a second profile.
static TURN_HOLDER: Mutex<Option<std::thread::ThreadId>> = Mutex::new(None);

// ---------------------------------------------------------------------------------------
// TestProfile
// ---------------------------------------------------------------------------------------

/// A user's computer as the app sees it: its own home, data, config and cache directories,
/// the session keyring (emptied when the profile is created) and extra environment variables.
/// Launching twice with the same profile is the same user opening the app again.
///
/// Cheap to clone; the directories are deleted when the last clone is dropped.
#[derive(Clone)]
pub struct TestProfile {
    inner: Arc<ProfileInner>,
}

struct ProfileInner {
    name: String,
    dir: tempfile::TempDir,
    artifacts: PathBuf,
    extra_env: Mutex<Vec<(String, String)>>,
    screenshots: AtomicUsize,
    launches: AtomicUsize,
    _turn: OwnedMutexGuard<()>,
}

impl TestProfile {
    /// A fresh profile named after the running test (screenshots go to a folder of that name).
    pub async fn new() -> TestProfile {
        let name = std::thread::current()
            .name()
            .filter(|name| *name != "main")
            .unwrap_or("story")
            .to_owned();
        TestProfile::named(&name).await
    }

    /// A fresh profile whose screenshots go to `<target>/e2e-screenshots/<name>/`.
    pub async fn named(name: &str) -> TestProfile {
        require_session();
        let me = std::thread::current().id();
        if *TURN_HOLDER.lock().unwrap_or_else(|e| e.into_inner()) == Some(me) {
            panic!(
                "this test already has a TestProfile alive: stories run one at a time, so use \
                 one profile per story (clone it), or drop the first before making another"
            );
        }
        let turn = SESSION_TURN.clone().lock_owned().await;
        *TURN_HOLDER.lock().unwrap_or_else(|e| e.into_inner()) = Some(me);
        let name: String = name
            .replace("::", ".")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dir = tempfile::Builder::new()
            .prefix("atelier-e2e-profile-")
            .tempdir()
            .expect("a temporary directory for the profile");
        for sub in ["home", "data", "config", "cache"] {
            fs::create_dir(dir.path().join(sub)).expect("profile directories");
        }
        // Screenshots of an earlier run of this story would mix with this run's.
        let artifacts = artifacts_dir(&name);
        let _ = fs::remove_dir_all(&artifacts);
        empty_session_keyring().await;
        TestProfile {
            inner: Arc::new(ProfileInner {
                name,
                dir,
                artifacts,
                extra_env: Mutex::new(Vec::new()),
                screenshots: AtomicUsize::new(0),
                launches: AtomicUsize::new(0),
                _turn: turn,
            }),
        }
    }

    /// Adds an environment variable for every later launch, e.g. `ATELIER_API_URL`.
    pub fn with_env(self, key: &str, value: &str) -> TestProfile {
        self.set_env(key, value);
        self
    }

    /// Sets (or replaces) an environment variable for later launches.
    pub fn set_env(&self, key: &str, value: &str) {
        let mut env = self.inner.extra_env.lock().unwrap();
        env.retain(|(k, _)| k != key);
        env.push((key.to_owned(), value.to_owned()));
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The temporary directory that holds everything of this profile.
    pub fn path(&self) -> &Path {
        self.inner.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// `$XDG_DATA_HOME/fun.agentgram.atelier-desk`: where the app keeps its data.
    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data").join(APP_IDENTIFIER)
    }

    /// `$XDG_CONFIG_HOME/fun.agentgram.atelier-desk`.
    pub fn config_dir(&self) -> PathBuf {
        self.path().join("config").join(APP_IDENTIFIER)
    }

    /// `$XDG_CACHE_HOME/fun.agentgram.atelier-desk`.
    pub fn cache_dir(&self) -> PathBuf {
        self.path().join("cache").join(APP_IDENTIFIER)
    }

    /// Where this story's screenshots and logs go (created on first use).
    pub fn artifacts(&self) -> &Path {
        let dir = &self.inner.artifacts;
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        dir
    }

    /// The environment the app is launched with, on top of the session's.
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        let root = self.path();
        let mut env: Vec<(OsString, OsString)> = vec![
            ("HOME".into(), root.join("home").into()),
            ("XDG_DATA_HOME".into(), root.join("data").into()),
            ("XDG_CONFIG_HOME".into(), root.join("config").into()),
            ("XDG_CACHE_HOME".into(), root.join("cache").into()),
            // With the DMABUF renderer disabled, WebKitWebDriver's screenshots never return
            // under Xvfb (WebKitGTK 2.50). Explicitly "0", so an app that sets it to 1 only
            // when unset leaves it alone. A story may still override it.
            ("WEBKIT_DISABLE_DMABUF_RENDERER".into(), "0".into()),
        ];
        for (key, value) in self.inner.extra_env.lock().unwrap().iter() {
            env.push((key.into(), value.into()));
        }
        env
    }

    /// The environment without the harness's WebKit override: the app as users run it.
    pub fn desktop_env(&self) -> Vec<(OsString, OsString)> {
        let mut env = self.env();
        env.retain(|(key, _)| key != "WEBKIT_DISABLE_DMABUF_RENDERER");
        env
    }

    fn next_screenshot(&self, name: &str) -> PathBuf {
        let n = self.inner.screenshots.fetch_add(1, Ordering::SeqCst) + 1;
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        self.artifacts().join(format!("{n:02}-{name}.png"))
    }
}

impl Drop for ProfileInner {
    fn drop(&mut self) {
        // The turn itself is released right after, when `_turn` is dropped.
        *TURN_HOLDER.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Deletes every item of the session keyring's default collection, so a story never sees
/// the secrets of the one before. Only ever runs inside `scripts/e2e-session`, whose keyring
/// lives in a temporary directory.
async fn empty_session_keyring() {
    use secret_service::{EncryptionType, SecretService};
    let service = SecretService::connect(EncryptionType::Dh)
        .await
        .expect("the session's Secret Service (gnome-keyring) answers");
    let collection = service
        .get_default_collection()
        .await
        .expect("the session keyring has a default collection");
    collection
        .ensure_unlocked()
        .await
        .expect("the session keyring is unlocked");
    for item in collection.get_all_items().await.expect("keyring items") {
        item.delete().await.expect("a keyring item can be deleted");
    }
}

// ---------------------------------------------------------------------------------------
// AppUnderTest
// ---------------------------------------------------------------------------------------

/// The running app, driven through tauri-driver and WebKitWebDriver.
pub struct AppUnderTest {
    profile: TestProfile,
    client: Option<Client>,
    driver: Option<Driver>,
}

impl AppUnderTest {
    /// Starts tauri-driver on free ports with the profile's environment and opens the app.
    pub async fn launch(profile: &TestProfile) -> AppUnderTest {
        require_session();
        let app = app_binary();
        let program = tauri_driver();
        let launch = profile.inner.launches.fetch_add(1, Ordering::SeqCst) + 1;
        let log = profile
            .artifacts()
            .join(format!("launch-{launch}-tauri-driver.log"));

        // A port picked as free may be taken by the time tauri-driver binds it: retry then.
        let mut problem = String::new();
        for _ in 0..3 {
            let mut driver = Driver::start(&program, profile, &log);
            if let Err(why) = driver.wait_until_listening().await {
                problem = why;
                driver.stop();
                continue;
            }
            match connect(driver.port, &app).await {
                Ok(client) => {
                    return AppUnderTest {
                        profile: profile.clone(),
                        client: Some(client),
                        driver: Some(driver),
                    }
                }
                Err(why) => {
                    driver.stop();
                    panic!(
                        "Atelier Desk did not open under tauri-driver: {why}\n{}",
                        log_tail(&log)
                    );
                }
            }
        }
        panic!("tauri-driver did not start: {problem}\n{}", log_tail(&log));
    }

    /// Quits and opens the app again with the same profile: same directories, same keyring.
    pub async fn restart(self) -> AppUnderTest {
        let profile = self.profile.clone();
        self.quit().await;
        // The bus frees the single-instance name when it notices the connection closed,
        // which on a loaded machine can come after the process is gone: a launch before
        // that would hand over to a copy that no longer exists, and exit.
        single_instance_released(Duration::from_secs(10)).await;
        AppUnderTest::launch(&profile).await
    }

    /// Closes the window (ends the WebDriver session), stops tauri-driver and makes sure
    /// nothing it started is still running.
    pub async fn quit(mut self) {
        if let Some(client) = self.client.take() {
            // Best effort: whatever happens, stop() below cleans up.
            let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        }
        if let Some(mut driver) = self.driver.take() {
            let left = driver.stop();
            assert!(
                left.is_empty(),
                "processes outlived the app even after SIGKILL: {left:?}"
            );
        }
    }

    pub fn profile(&self) -> &TestProfile {
        &self.profile
    }

    /// tauri-driver and everything below it right now (WebKitWebDriver, the app, WebKit's
    /// helpers), to check later that none of them outlived the story.
    pub fn processes(&self) -> Processes {
        let Some(driver) = self.driver.as_ref() else {
            return Processes(Vec::new());
        };
        let pid = driver.child.id();
        let mut all = descendants(pid);
        if let Some(s) = stat(pid) {
            all.push((pid, s.start));
        }
        Processes(all)
    }

    /// The WebDriver client, for whatever the helpers below do not cover.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the app is running")
    }

    /// Waits up to [`WAIT`] for an element matching `css`, then returns it.
    pub async fn wait_for(&self, css: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        let mut last_error = None;
        loop {
            match self.find_now(css).await {
                Ok(element) => return element,
                Err(None) => {}
                Err(Some(error)) => last_error = Some(error),
            }
            if Instant::now() >= deadline {
                let shot = self.failure_screenshot("timeout").await;
                panic!(
                    "waited {} s for `{css}` and it never appeared{}{shot}",
                    WAIT.as_secs(),
                    last_error
                        .map(|e| format!(" (last error: {e})"))
                        .unwrap_or_default(),
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits up to [`WAIT`] until the element matching `css` shows exactly `expected`.
    pub async fn wait_for_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + WAIT;
        let mut seen = None;
        loop {
            if let Ok(element) = self.find_now(css).await {
                if let Ok(Ok(text)) = tokio::time::timeout(COMMAND_TIMEOUT, element.text()).await {
                    if text == expected {
                        return;
                    }
                    seen = Some(text);
                }
            }
            if Instant::now() >= deadline {
                let shot = self.failure_screenshot("timeout").await;
                panic!(
                    "waited {} s for `{css}` to read {expected:?}; it read {seen:?}{shot}",
                    WAIT.as_secs()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits up to [`WAIT`] until nothing matches `css`.
    pub async fn wait_until_gone(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        while self.is_present(css).await {
            if Instant::now() >= deadline {
                let shot = self.failure_screenshot("timeout").await;
                panic!("waited {} s for `{css}` to go away{shot}", WAIT.as_secs());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Whether something matches `css` right now (no waiting).
    pub async fn is_present(&self, css: &str) -> bool {
        self.find_now(css).await.is_ok()
    }

    /// Clicks the element matching `css` (waits for it first).
    pub async fn click(&self, css: &str) {
        // The page may replace the element between finding and clicking it (a form that
        // re-renders after live validation): find it again and retry, a few times.
        for _ in 0..3 {
            let element = self.wait_for(css).await;
            self.scroll_to_middle(&element).await;
            match tokio::time::timeout(COMMAND_TIMEOUT, element.click()).await {
                Ok(Ok(_)) => return,
                Ok(Err(_)) => tokio::time::sleep(Duration::from_millis(300)).await,
                Err(_) => break,
            }
        }
        let element = self.wait_for(css).await;
        self.scroll_to_middle(&element).await;
        bounded(format!("clicking `{css}`"), element.click()).await;
    }

    /// Brings `element` to the middle of the window, as a person scrolls to what they click:
    /// WebKitWebDriver refuses to click below the fold, and the sticky mode banner covers
    /// the top of a scrolled page.
    async fn scroll_to_middle(&self, element: &Element) {
        let Ok(element) = serde_json::to_value(element) else {
            return;
        };
        let script = "arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' });";
        let _ = tokio::time::timeout(
            COMMAND_TIMEOUT,
            self.client().execute(script, vec![element]),
        )
        .await;
    }

    /// Replaces the content of the field matching `css` with `text`, typed key by key.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.wait_for(css).await;
        bounded(format!("clearing `{css}`"), element.clear()).await;
        bounded(format!("typing into `{css}`"), element.send_keys(text)).await;
    }

    /// The visible text of the element matching `css` (waits for it first).
    pub async fn text(&self, css: &str) -> String {
        let element = self.wait_for(css).await;
        bounded(format!("reading the text of `{css}`"), element.text()).await
    }

    /// An attribute of the element matching `css` (waits for it first).
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let element = self.wait_for(css).await;
        bounded(format!("reading `{name}` of `{css}`"), element.attr(name)).await
    }

    /// Saves a PNG of the window as `<target>/e2e-screenshots/<story>/<NN>-<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let path = self.profile.next_screenshot(name);
        // WebKit's snapshot is the last frame it painted; under Xvfb that lags the page by
        // up to a second or two. Wait for two frames first so the picture shows the DOM
        // the story just checked.
        let _ = bounded(
            format!("settling before screenshot {name:?}"),
            self.client().execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            ),
        )
        .await;
        let png = bounded(
            format!("taking screenshot {name:?}"),
            self.client().screenshot(),
        )
        .await;
        fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// One look for `css`: `Err(None)` when nothing matches (yet).
    async fn find_now(&self, css: &str) -> Result<Element, Option<String>> {
        match tokio::time::timeout(COMMAND_TIMEOUT, self.client().find(Locator::Css(css))).await {
            Ok(Ok(element)) => Ok(element),
            Ok(Err(error)) if error.is_no_such_element() => Err(None),
            Ok(Err(error)) => Err(Some(error.to_string())),
            Err(_) => Err(Some(format!(
                "WebDriver did not answer within {} s",
                COMMAND_TIMEOUT.as_secs()
            ))),
        }
    }

    async fn failure_screenshot(&self, name: &str) -> String {
        let path = self.profile.next_screenshot(name);
        let shot = tokio::time::timeout(Duration::from_secs(10), self.client().screenshot()).await;
        match shot {
            Ok(Ok(png)) if fs::write(&path, &png).is_ok() => {
                format!("\nscreenshot: {}", path.display())
            }
            _ => String::new(),
        }
    }
}

impl Drop for AppUnderTest {
    /// A story that panics never reaches `quit()`: stop tauri-driver and everything it
    /// started anyway, so no window or driver outlives the test.
    fn drop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            driver.stop();
        }
    }
}

/// Awaits one WebDriver command, failing the story if it errs or hangs.
async fn bounded<T>(
    what: String,
    command: impl std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
) -> T {
    match tokio::time::timeout(COMMAND_TIMEOUT, command).await {
        Ok(Ok(value)) => value,
        Ok(Err(error)) => panic!("{what} failed: {error}"),
        Err(_) => panic!(
            "{what}: WebDriver did not answer within {} s",
            COMMAND_TIMEOUT.as_secs()
        ),
    }
}

async fn connect(port: u16, app: &Path) -> Result<Client, String> {
    let mut capabilities = serde_json::Map::new();
    // In alwaysMatch (fantoccini puts it there) and without browserName: in firstMatch, or
    // with a browserName, WebKitWebDriver opens its MiniBrowser instead of the app.
    capabilities.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": app }),
    );
    let url = format!("http://127.0.0.1:{port}");
    // WebKitWebDriver (behind tauri-driver) may need a moment to accept connections.
    let deadline = Instant::now() + WAIT;
    loop {
        let mut builder = ClientBuilder::rustls().map_err(|e| format!("TLS setup: {e}"))?;
        builder.capabilities(capabilities.clone());
        let attempt = tokio::time::timeout(COMMAND_TIMEOUT, builder.connect(&url))
            .await
            .map_err(|_| format!("no new session within {} s", COMMAND_TIMEOUT.as_secs()))?;
        match attempt {
            Ok(client) => return Ok(client),
            Err(error) if Instant::now() < deadline && is_not_ready(&error) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => return Err(format!("new WebDriver session: {error}")),
        }
    }
}

fn is_not_ready(error: &fantoccini::error::NewSessionError) -> bool {
    use fantoccini::error::NewSessionError;
    matches!(
        error,
        NewSessionError::Failed(_)
            | NewSessionError::FailedC(_)
            | NewSessionError::Lost(_)
            | NewSessionError::NotW3C(_)
    )
}

// ---------------------------------------------------------------------------------------
// tauri-driver and everything it starts
// ---------------------------------------------------------------------------------------

struct Driver {
    child: Child,
    port: u16,
    native_port: u16,
    stopped: bool,
}

impl Driver {
    fn start(program: &Path, profile: &TestProfile, log: &Path) -> Driver {
        let (port, native_port) = two_free_ports();
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("the tauri-driver log file");
        let err = out.try_clone().expect("the tauri-driver log file");
        let child = Command::new(program)
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            // The app inherits tauri-driver's environment (through WebKitWebDriver).
            .envs(profile.env())
            .current_dir(profile.home())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
        Driver {
            child,
            port,
            native_port,
            stopped: false,
        }
    }

    async fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("tauri-driver exited ({status})"));
            }
            if TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "nothing listens on port {} after {} s",
                    self.port,
                    WAIT.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM to tauri-driver (it then stops WebKitWebDriver; SIGKILL would leave it behind),
    /// then the same for anything it had started that is still running. Returns what is
    /// somehow still running after all that (nothing, normally).
    fn stop(&mut self) -> Vec<Proc> {
        if self.stopped {
            return Vec::new();
        }
        self.stopped = true;
        let pid = self.child.id();
        let mut family = descendants(pid);
        // tauri-driver exits without stopping WebKitWebDriver when it cannot bind its port:
        // find that one by the port it was given.
        for orphan in native_drivers_on(self.native_port) {
            if !family.contains(&orphan) {
                family.push(orphan);
                family.extend(descendants(orphan.0));
            }
        }
        signal(pid, libc::SIGTERM);
        if !wait_child(&mut self.child, Duration::from_secs(5)) {
            // Last resort; the sweep below catches WebKitWebDriver.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        sweep(&family);
        family.into_iter().filter(still_running).collect()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

fn two_free_ports() -> (u16, u16) {
    let a = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
    let b = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

pub(crate) fn signal(pid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) with a positive pid has no memory effects.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

fn wait_child(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A process as /proc shows it: (pid, start time) so a reused pid is never mistaken for it.
pub(crate) type Proc = (u32, u64);

/// Some processes, remembered so that a reused pid is never mistaken for one of them.
#[derive(Clone, Debug)]
pub struct Processes(pub(crate) Vec<Proc>);

impl Processes {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Waits up to `timeout` for all of them to end; the pids of those still running then.
    /// WebKit's helpers notice their parent is gone a moment after it exits.
    pub fn gone_within(&self, timeout: Duration) -> Vec<u32> {
        wait_gone(&self.0, timeout);
        self.still_running()
    }

    /// The pids of those still running (zombies waiting to be reaped count as gone).
    pub fn still_running(&self) -> Vec<u32> {
        self.0
            .iter()
            .filter(|p| still_running(p))
            .map(|p| p.0)
            .collect()
    }
}

/// WebKitWebDriver processes started with `--port=<port>`.
fn native_drivers_on(port: u16) -> Vec<Proc> {
    let wanted = format!("--port={port}");
    let mut found = Vec::new();
    for pid in all_pids() {
        let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let mut args = cmdline.split(|b| *b == 0);
        let is_driver = args
            .next()
            .is_some_and(|program| program.ends_with(b"WebKitWebDriver"));
        if is_driver && args.any(|arg| arg == wanted.as_bytes()) {
            if let Some(s) = stat(pid) {
                found.push((pid, s.start));
            }
        }
    }
    found
}

pub(crate) fn still_running(process: &Proc) -> bool {
    matches!(stat(process.0), Some(s) if s.start == process.1 && s.state != 'Z' && s.state != 'X')
}

/// SIGTERM whatever of `family` still runs, give it 3 s, then SIGKILL the rest.
pub(crate) fn sweep(family: &[Proc]) {
    let alive: Vec<Proc> = family.iter().copied().filter(still_running).collect();
    if alive.is_empty() {
        return;
    }
    for process in &alive {
        signal(process.0, libc::SIGTERM);
    }
    if wait_gone(&alive, Duration::from_secs(3)) {
        return;
    }
    for process in alive.iter().filter(|p| still_running(p)) {
        signal(process.0, libc::SIGKILL);
    }
    wait_gone(&alive, Duration::from_secs(2));
}

pub(crate) fn wait_gone(processes: &[Proc], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if !processes.iter().any(still_running) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    format!("--- {} (last lines) ---\n{tail}", log.display())
}

// ---------------------------------------------------------------------------------------
// NotificationSpy
// ---------------------------------------------------------------------------------------

/// One `org.freedesktop.Notifications.Notify` call seen on the session bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notify {
    pub app_name: String,
    pub summary: String,
    pub body: String,
    /// The caller's unique bus name.
    pub sender: String,
}

/// Watches the session bus (as a D-Bus monitor) for desktop notifications being sent,
/// whoever shows them. Taking the profile makes sure no other story runs meanwhile.
pub struct NotificationSpy {
    seen: Arc<Mutex<Vec<Notify>>>,
    count: watch::Receiver<usize>,
    taken: AtomicUsize,
    task: tokio::task::JoinHandle<()>,
}

type NotifyArgs = (
    String,
    u32,
    String,
    String,
    String,
    Vec<String>,
    HashMap<String, zbus::zvariant::OwnedValue>,
    i32,
);

impl NotificationSpy {
    /// Starts watching; every Notify call from now on is recorded.
    pub async fn start(_story: &TestProfile) -> NotificationSpy {
        require_session();
        let connection = zbus::Connection::session()
            .await
            .expect("the session bus answers");
        // Listen before becoming a monitor, so nothing slips between the two.
        let mut stream = zbus::MessageStream::from(&connection);
        let rule = "type='method_call',interface='org.freedesktop.Notifications',member='Notify'";
        connection
            .call_method(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus.Monitoring"),
                "BecomeMonitor",
                &(vec![rule], 0u32),
            )
            .await
            .expect("the session bus lets us monitor it");

        let seen = Arc::new(Mutex::new(Vec::new()));
        let (count_tx, count) = watch::channel(0usize);
        let task = tokio::spawn({
            let seen = seen.clone();
            async move {
                let _connection = connection;
                while let Some(Ok(message)) = stream.next().await {
                    let header = message.header();
                    if header.message_type() != zbus::message::Type::MethodCall
                        || header.member().map(|m| m.as_str()) != Some("Notify")
                    {
                        continue;
                    }
                    let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
                    let Ok((app_name, _, _, summary, body, ..)) =
                        message.body().deserialize::<NotifyArgs>()
                    else {
                        continue;
                    };
                    let mut seen = seen.lock().unwrap();
                    seen.push(Notify {
                        app_name,
                        summary,
                        body,
                        sender,
                    });
                    let _ = count_tx.send(seen.len());
                }
            }
        });
        NotificationSpy {
            seen,
            count,
            taken: AtomicUsize::new(0),
            task,
        }
    }

    /// The next Notify call not returned before, waiting up to `timeout` for it.
    pub async fn wait_for_notify(&self, timeout: Duration) -> Option<Notify> {
        let index = self.taken.load(Ordering::SeqCst);
        let mut count = self.count.clone();
        tokio::time::timeout(timeout, count.wait_for(|n| *n > index))
            .await
            .ok()?
            .ok()?;
        self.taken.store(index + 1, Ordering::SeqCst);
        self.seen.lock().unwrap().get(index).cloned()
    }

    /// How many Notify calls were seen since the spy started.
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Every Notify call seen so far.
    pub fn all(&self) -> Vec<Notify> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for NotificationSpy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether some process owns `org.freedesktop.Notifications` on the session bus.
pub async fn notification_server_is_running() -> bool {
    let Ok(connection) = zbus::Connection::session().await else {
        return false;
    };
    let Ok(dbus) = zbus::fdo::DBusProxy::new(&connection).await else {
        return false;
    };
    let Ok(name) = zbus::names::BusName::try_from("org.freedesktop.Notifications") else {
        return false;
    };
    dbus.name_has_owner(name).await.unwrap_or(false)
}

impl std::fmt::Debug for AppUnderTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppUnderTest")
            .field("profile", &self.profile.name())
            .field("port", &self.driver.as_ref().map(|d| d.port))
            .finish()
    }
}

/// Waits (bounded) until no copy of the app holds a single-instance name on the session
/// bus. Stories run one at a time, so any such name is the story's own app.
pub async fn single_instance_released(timeout: Duration) {
    let Ok(connection) = zbus::Connection::session().await else {
        return;
    };
    let Ok(dbus) = zbus::fdo::DBusProxy::new(&connection).await else {
        return;
    };
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let held = dbus.list_names().await.map(|names| {
            names.iter().any(|n| {
                n.starts_with("fun.agentgram.atelier-desk") && n.ends_with(".SingleInstance")
            })
        });
        if !held.unwrap_or(false) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
