//! One rate-limit count per marketplace, shared by every limited call the app makes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::SystemTime;

use crate::error::ApiError;
use crate::models::Timestamp;
use crate::settings::Mode;
use crate::watcher::{Budget, CallKind, CallLedger, SharedLedger};

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
                // A ledger that cannot be read starts empty rather than stopping the app;
                // the server's own 429s still hold the line.
                let ledger = CallLedger::open(&path, Budget::default())
                    .unwrap_or_else(|_| CallLedger::in_memory(Budget::default()));
                SharedLedger::new(ledger)
            })
            .clone()
    }

    /// Takes one limited call of `kind` from `mode`'s budget, or says when to try again.
    pub(super) fn spend(&self, mode: Mode, kind: CallKind) -> Result<(), ApiError> {
        let now = SystemTime::now();
        self.of(mode).try_spend(kind, now).map_err(|not_yet| {
            let wait = not_yet.until.duration_since(now).unwrap_or_default();
            ApiError::RateLimited {
                retry_after_secs: Some(wait.as_secs().max(1)),
                reset_at: Some(Timestamp::from(time::OffsetDateTime::from(not_yet.until))),
            }
        })
    }
}
