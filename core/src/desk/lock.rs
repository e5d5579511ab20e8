//! One copy of Atelier Desk watches a data folder at a time. Two would both poll and
//! deliver for the same account, spending the one hourly allowance twice as fast and
//! announcing every order twice. The single-instance plugin keeps a second launch on the
//! same desktop session away; this lock also covers what it cannot see (another session
//! bus, a copy started by hand with other options), because the operating system holds
//! it for as long as the process that took it lives, crash or not.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::json_file;
use crate::session::SessionError;
use crate::watcher::{Moment, Problem, SharedLedger, Waiting, WatchStatus};

/// The lock file, in the desk's watch folder.
pub(super) const LOCK_FILE: &str = "desk.lock";

pub(super) struct WatchLock {
    path: PathBuf,
    state: Mutex<State>,
}

enum State {
    /// Another copy holds it (or nobody has tried yet).
    Elsewhere,
    /// Ours until the file is closed: dropping it lets the next copy in.
    Held(#[allow(dead_code)] File),
    /// The folder cannot hold a lock (unwritable, or a file system without locks). Refusing
    /// to watch would make the app useless there, and single instance still guards the
    /// common case, so such a desk carries on unlocked.
    Unavailable,
}

impl WatchLock {
    /// Takes the lock on `<watch_dir>/desk.lock` unless another copy holds it.
    pub(super) fn take(watch_dir: &Path) -> WatchLock {
        let lock = WatchLock {
            path: watch_dir.join(LOCK_FILE),
            state: Mutex::new(State::Elsewhere),
        };
        lock.held();
        lock
    }

    /// Whether this desk may watch and spend, taking the lock now if the copy that had it
    /// has gone.
    pub(super) fn held(&self) -> bool {
        let mut state = self.state();
        if matches!(*state, State::Elsewhere) {
            *state = match try_lock(&self.path) {
                Ok(Some(file)) => State::Held(file),
                Ok(None) => State::Elsewhere,
                Err(_) => State::Unavailable,
            };
        }
        !matches!(*state, State::Elsewhere)
    }

    /// As [`WatchLock::held`], without trying again.
    pub(super) fn is_held(&self) -> bool {
        !matches!(*self.state(), State::Elsewhere)
    }

    /// Lets the next copy in (when quitting).
    pub(super) fn release(&self) {
        *self.state() = State::Elsewhere;
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The lock, or `None` when another open file (in this process or another) holds it.
fn try_lock(path: &Path) -> io::Result<Option<File>> {
    if let Some(dir) = path.parent() {
        json_file::create_private_dir(dir)?;
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Why nothing is watched, as the page shows a watcher problem.
pub(super) fn another_copy() -> Problem {
    Problem {
        code: "another_copy".to_owned(),
        message: SessionError::AnotherCopy.to_string(),
        detail: None,
        retry_after_secs: None,
    }
}

/// The status of a desk kept from watching by another copy.
pub(super) fn kept_out(ledger: &SharedLedger) -> WatchStatus {
    let mut status = WatchStatus::starting(ledger.lock().budget().orders_limit);
    status.running = false;
    status.waiting = Waiting::Stopped;
    status.budget_left = ledger.remaining(Moment::now());
    status.problem = Some(another_copy());
    status
}
