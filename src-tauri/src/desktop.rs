//! Living on the desktop: one running copy per profile, starting on login without a window,
//! saying when the first screen is painted, and quitting cleanly when the session ends.
//!
//! The decisions are pure functions (tested below); the few lines that touch Tauri wire
//! them up in `lib.rs`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use tauri::{AppHandle, Manager, Runtime, WebviewWindowBuilder};

/// What start-on-login launches the app with: watch for orders, keep the window closed.
pub const BACKGROUND_ARG: &str = "--background";

/// The label of the one window, as in tauri.conf.json.
pub const MAIN_WINDOW: &str = "main";

static LAUNCHED: OnceLock<Instant> = OnceLock::new();

/// Notes the moment the process started, for the "ready" line.
pub fn mark_launch() {
    LAUNCHED.get_or_init(Instant::now);
}

/// Whether this launch came from start-on-login.
pub fn started_in_background<I, S>(args: I) -> bool
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    args.into_iter()
        .skip(1)
        .any(|arg| arg.as_ref() == OsStr::new(BACKGROUND_ARG))
}

/// Where the platform keeps user data, as Tauri resolves it on Linux (`$XDG_DATA_HOME` when
/// absolute, else `~/.local/share`).
pub fn data_home(get: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    get("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| get("HOME").map(|home| Path::new(&home).join(".local/share")))
}

/// The D-Bus name that makes a launch the only one: one instance per data directory.
///
/// Two copies on the same data would both watch, both notify and both spend the rate
/// budget; two profiles (another `XDG_DATA_HOME`, as every test has) are independent apps.
/// The hash is FNV-1a, written out so the name stays the same across Rust versions: a new
/// build must still find the copy an older build started.
pub fn instance_id(identifier: &str, data_home: Option<&Path>) -> String {
    let Some(home) = data_home else {
        return identifier.to_owned();
    };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in home.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // A bus name element may not start with a digit.
    format!("{identifier}.p{hash:016x}")
}

/// The line the app prints when a window has painted its first screen. The start-up
/// benchmark and the package smoke test wait for it.
pub fn ready_line(page_ms: Option<f64>) -> String {
    let since = since_launch();
    match page_ms {
        Some(page) => format!(
            "Atelier Desk: window ready, {since} ms after launch ({page:.0} ms of it in the page)"
        ),
        None => format!("Atelier Desk: window ready, {since} ms after launch"),
    }
}

fn since_launch() -> u128 {
    LAUNCHED.get().map(|t| t.elapsed().as_millis()).unwrap_or(0)
}

/// With `ATELIER_TRACE_STARTUP=1`, says on standard error when each start-up step is done,
/// to see where the time to the first screen goes.
pub fn trace(step: &str) {
    static ON: OnceLock<bool> = OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("ATELIER_TRACE_STARTUP").is_some_and(|v| v == "1")) {
        eprintln!("Atelier Desk: start-up: {step} at {} ms", since_launch());
    }
}

/// Brings the window back, re-creating it if it was closed (closing frees WebKit's memory
/// while the watcher carries on) or never opened (a start on login).
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let Some(config) = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN_WINDOW)
    else {
        return;
    };
    match WebviewWindowBuilder::from_config(app, config).and_then(|b| b.build()) {
        Ok(window) => {
            let _ = window.set_focus();
        }
        Err(e) => eprintln!("Atelier Desk: could not open its window: {e}"),
    }
}

/// The signals that end a desktop app (SIGTERM at log-out, SIGINT, SIGHUP), caught from
/// the start of `run`: one arriving while the app is still starting must not kill it
/// half-way through writing its files. `None` inside when they could not be caught.
pub struct QuitSignals(#[cfg(unix)] Option<[tokio::signal::unix::Signal; 3]>);

pub fn catch_quit_signals() -> QuitSignals {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        // Registering needs the runtime's context; from here on the signals are queued.
        tauri::async_runtime::block_on(async {
            let caught = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
                signal(SignalKind::hangup()),
            );
            QuitSignals(match caught {
                (Ok(term), Ok(int), Ok(hup)) => Some([term, int, hup]),
                _ => None,
            })
        })
    }
    #[cfg(not(unix))]
    QuitSignals()
}

impl QuitSignals {
    /// Quits like the tray's Quit when one arrives (or has arrived): the watcher stops
    /// between calls, the single-instance name is released and WebKit's helper processes go
    /// with the app.
    pub fn quit_app_on_arrival<R: Runtime>(self, app: &AppHandle<R>) {
        #[cfg(unix)]
        if let Some([mut term, mut int, mut hup]) = self.0 {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                    _ = hup.recv() => {}
                }
                app.exit(0);
            });
        }
        #[cfg(not(unix))]
        let _ = app;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_start_on_login_argument_means_background() {
        assert!(started_in_background(["atelier-desk", "--background"]));
        assert!(!started_in_background(["atelier-desk"]));
        // The program's own path never counts, whatever it is called.
        assert!(!started_in_background(["--background"]));
        assert!(!started_in_background(["atelier-desk", "--backgrounds"]));
    }

    #[test]
    fn the_data_home_follows_xdg_then_home() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            data_home(env(&[("XDG_DATA_HOME", "/x/data"), ("HOME", "/home/a")])),
            Some(PathBuf::from("/x/data"))
        );
        // A relative XDG path is invalid by the spec and ignored, as Tauri does.
        assert_eq!(
            data_home(env(&[("XDG_DATA_HOME", "data"), ("HOME", "/home/a")])),
            Some(PathBuf::from("/home/a/.local/share"))
        );
        assert_eq!(data_home(env(&[])), None);
    }

    #[test]
    fn each_data_directory_is_its_own_instance() {
        let id = "fun.agentgram.atelier-desk";
        let mine = instance_id(id, Some(Path::new("/home/a/.local/share")));
        assert_eq!(
            mine,
            instance_id(id, Some(Path::new("/home/a/.local/share"))),
            "the same profile always gets the same name"
        );
        assert_ne!(mine, instance_id(id, Some(Path::new("/tmp/test/data"))));
        assert!(mine.starts_with("fun.agentgram.atelier-desk.p"));
        // Pinned (FNV-1a 64, checked independently): a new build must find the copy an
        // older build started.
        assert_eq!(
            instance_id(id, Some(Path::new("/home/a/.local/share"))),
            "fun.agentgram.atelier-desk.pb52c5f59060de193"
        );
        assert_eq!(instance_id(id, None), id);
    }
}
