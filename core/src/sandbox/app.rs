//! Shared server state: the store, the limiter, and where to save.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::http::HeaderMap;
use axum::response::Response;

use super::ids::now_ms;
use super::persist;
use super::rate_limit::{self, Bucket, Decision, RateLimiter};
use super::reply::{self, Failure};
use super::store::Store;
use super::traffic::Traffic;
use super::SandboxConfig;

pub struct App {
    // A std mutex: no handler awaits while holding it, and saving under the
    // lock keeps the file's writes in the same order as the mutations.
    store: Mutex<Store>,
    limiter: Option<Mutex<RateLimiter>>,
    data_file: Option<PathBuf>,
    pub traffic: Traffic,
}

impl App {
    pub fn open(config: SandboxConfig) -> io::Result<App> {
        let store = match &config.data_file {
            Some(path) => persist::load(path)?.unwrap_or_default(),
            None => Store::default(),
        };
        Ok(App {
            store: Mutex::new(store),
            limiter: config.rate_limits.map(|l| Mutex::new(RateLimiter::new(l))),
            data_file: config.data_file,
            traffic: Traffic::default(),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic elsewhere must not wedge the sandbox; the data is still usable.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The 429 to send instead of handling the request, if any.
    pub fn rate_limit(
        &self,
        headers: &HeaderMap,
        peer: SocketAddr,
        bucket: Bucket,
    ) -> Option<Response> {
        let limiter = self.limiter.as_ref()?;
        let client = rate_limit::client_key(headers, peer);
        let decision = limiter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .check(&client, bucket, now_ms());
        match decision {
            Decision::Allowed => None,
            Decision::Limited {
                limit,
                retry_after_secs,
                reset_unix_secs,
            } => Some(rate_limit::too_many_requests(
                limit,
                retry_after_secs,
                reset_unix_secs,
            )),
        }
    }

    /// Save after a mutation; a failure becomes the server's 500.
    pub fn commit(&self, store: &Store) -> Result<(), Failure> {
        let Some(path) = &self.data_file else {
            return Ok(());
        };
        persist::save(path, store).map_err(|e| {
            eprintln!("atelier sandbox: could not save {}: {e}", path.display());
            reply::internal()
        })
    }
}
