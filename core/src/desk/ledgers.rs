//! One rate-limit count per marketplace, shared by every limited call the app makes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::error::ApiError;
use crate::models::Timestamp;
use crate::settings::Mode;
use crate::watcher::{rate_limit_wait, Budget, CallKind, CallLedger, Moment, Policy, SharedLedger};

/// The server counts per network address, not per agent: every agent of a mode and every
/// screen shares one ledger. A changed real-marketplace address keeps the same count, which
/// can only make the app more careful, never less.
pub(super) struct Ledgers {
    dir: PathBuf,
    open: Mutex<HashMap<Mode, SharedLedger>>,
}

impl Ledgers {
    pub(super) fn new(dir: PathBuf) -> Ledgers {
        Ledgers {
            dir,
            open: Mutex::default(),
        }
    }

    pub(super) fn of(&self, mode: Mode) -> SharedLedger {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.entry(mode)
            .or_insert_with(|| {
                let path = self.dir.join(mode.as_str()).join("ledger.json");
                // A count that cannot be read does not stop the app, but it is not taken
                // as zero either: the hour is taken as used up, and the watcher says so.
                SharedLedger::new(CallLedger::open_or_assume_spent(&path, Budget::default()))
            })
            .clone()
    }

    /// Takes one limited call of `kind` from `mode`'s budget, or says when to try again.
    pub(super) fn spend(&self, mode: Mode, kind: CallKind) -> Result<(), ApiError> {
        let now = Moment::now();
        self.of(mode).try_spend(kind, now).map_err(|not_yet| {
            let wait = not_yet.until.duration_since(now.wall).unwrap_or_default();
            ApiError::RateLimited {
                retry_after_secs: Some(wait.as_secs().max(1)),
                reset_at: Some(Timestamp::from(time::OffsetDateTime::from(not_yet.until))),
            }
        })
    }

    /// A limited call made for `mode` was answered with `error`. A 429 means the server's
    /// count is ahead of ours (another client on the same address, most likely): nothing
    /// limited goes out until its wait is over, from this screen, any other, or the watcher.
    pub(super) fn heard(&self, mode: Mode, error: &ApiError) {
        if let ApiError::RateLimited {
            retry_after_secs,
            reset_at,
        } = error
        {
            let now = Moment::now();
            let wait = rate_limit_wait(&Policy::default(), *retry_after_secs, *reset_at, now.wall);
            self.of(mode).note_rate_limited(now.later(wait));
        }
    }
}
