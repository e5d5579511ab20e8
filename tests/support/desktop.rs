//! The app launched the way a person launches it — from the menu, or by start-on-login —
//! with no WebDriver in between: its own command line, its standard error, its processes.
//!
//! ```text
//! let profile = TestProfile::new().await;
//! let mut app = LaunchedApp::start(&app_binary(), &profile, &[]);
//! app.wait_for_line(READY_LINE, Duration::from_secs(20)).expect("a window");
//! assert_eq!(app.quit(Duration::from_secs(10)).map(|s| s.code()), Some(Some(0)));
//! ```
//!
//! Needs the private desktop session, like the WebDriver stories.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::e2e::{require_session, signal, sweep, Proc, Processes, TestProfile};
use crate::procfs::{descendants, stat};

/// What the app prints on standard error once a window has painted its first screen
/// (src-tauri/src/desktop.rs).
pub const READY_LINE: &str = "Atelier Desk: window ready";

/// One line of the app's standard error and when it came, counted from the launch.
pub type Line = (Duration, String);

#[derive(Default)]
struct Output {
    lines: Mutex<Vec<Line>>,
    more: Condvar,
}

/// A running copy of the app, stopped (and every process under it) when dropped.
pub struct LaunchedApp {
    child: Child,
    output: Arc<Output>,
    /// Every process seen under the app, so none escapes the clean-up.
    seen: Mutex<Vec<Proc>>,
}

impl LaunchedApp {
    /// Launches `binary` with the profile's directories, as users run it: the WebKit
    /// renderer setting is left to the app.
    pub fn start(binary: &Path, profile: &TestProfile, args: &[&str]) -> LaunchedApp {
        LaunchedApp::start_with(binary, profile.desktop_env(), args)
    }

    /// Like [`LaunchedApp::start`], with the app's data in `data_home` instead: another
    /// profile as far as the app can tell.
    pub fn start_in(
        binary: &Path,
        profile: &TestProfile,
        data_home: &Path,
        args: &[&str],
    ) -> LaunchedApp {
        let mut env = profile.desktop_env();
        env.retain(|(key, _)| key != "XDG_DATA_HOME");
        env.push(("XDG_DATA_HOME".into(), data_home.into()));
        LaunchedApp::start_with(binary, env, args)
    }

    fn start_with(binary: &Path, env: Vec<(OsString, OsString)>, args: &[&str]) -> LaunchedApp {
        require_session();
        let mut command = Command::new(binary);
        command
            .args(args)
            .env_remove("WEBKIT_DISABLE_DMABUF_RENDERER")
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let launched = Instant::now();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let output = Arc::new(Output::default());
        let stderr = child.stderr.take().expect("stderr is piped");
        std::thread::spawn({
            let output = output.clone();
            move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    output
                        .lines
                        .lock()
                        .unwrap()
                        .push((launched.elapsed(), line));
                    output.more.notify_all();
                }
            }
        });
        LaunchedApp {
            child,
            output,
            seen: Mutex::new(Vec::new()),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The first line containing `needle` (and when it came), waiting up to `timeout`.
    pub fn wait_for_line(&self, needle: &str, timeout: Duration) -> Option<Line> {
        let deadline = Instant::now() + timeout;
        let mut lines = self.output.lines.lock().unwrap();
        loop {
            if let Some(found) = lines.iter().find(|(_, l)| l.contains(needle)) {
                return Some(found.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            lines = self.output.more.wait_timeout(lines, left).unwrap().0;
        }
    }

    /// Every line so far that contains `needle`.
    pub fn lines_containing(&self, needle: &str) -> Vec<String> {
        let lines = self.output.lines.lock().unwrap();
        lines
            .iter()
            .filter(|(_, l)| l.contains(needle))
            .map(|(_, l)| l.clone())
            .collect()
    }

    /// The end of what the app printed, for failure messages.
    pub fn stderr_tail(&self) -> String {
        let lines = self.output.lines.lock().unwrap();
        let tail: Vec<&str> = lines
            .iter()
            .rev()
            .take(30)
            .rev()
            .map(|(_, l)| l.as_str())
            .collect();
        format!(
            "--- the app's standard error (last lines) ---\n{}",
            tail.join("\n")
        )
    }

    /// The app and everything under it right now (WebKit's web and network processes).
    pub fn processes(&self) -> Processes {
        let pid = self.pid();
        let mut all = descendants(pid);
        if let Some(s) = stat(pid) {
            all.push((pid, s.start));
        }
        let mut seen = self.seen.lock().unwrap();
        for process in &all {
            if !seen.contains(process) {
                seen.push(*process);
            }
        }
        Processes(all)
    }

    /// Waits up to `timeout` for the app to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Asks the app to quit as the desktop does at log-out (SIGTERM) and waits for it.
    pub fn quit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.processes();
        signal(self.pid(), libc::SIGTERM);
        self.wait_exit(timeout)
    }
}

impl Drop for LaunchedApp {
    fn drop(&mut self) {
        self.processes();
        sweep(&self.seen.lock().unwrap());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
