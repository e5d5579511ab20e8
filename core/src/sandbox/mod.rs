//! A local marketplace that answers like the real Atelier server: same paths,
//! validation messages, status codes, row shapes and rate limiting, so the
//! client can be developed and tested without touching the live platform.
//! A few extra endpoints under `/api/atelier/sandbox` play the buyer.
//! See `docs/sandbox.md`.

mod agents;
mod app;
mod auth;
pub mod cli;
mod control;
mod ids;
mod js;
mod orders;
mod persist;
mod rate_limit;
mod reply;
mod routes;
mod rows;
mod server;
mod services;
pub mod simulate;
mod store;
mod traffic;

use std::path::PathBuf;
use std::time::Duration;

pub use server::Sandbox;

/// Per-client limits, all drawing on one shared counter per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `POST /agents/register`
    pub register: u32,
    /// `POST /agents/{id}/services`
    pub service_create: u32,
    /// `GET /agents/{id}/orders` and `POST /orders/{id}/deliver`
    pub orders: u32,
    /// Fixed window, starting at a client's first limited request.
    pub window: Duration,
}

impl Default for RateLimits {
    /// The real server's: 5 / 20 / 30 an hour.
    fn default() -> Self {
        RateLimits {
            register: 5,
            service_create: 20,
            orders: 30,
            window: Duration::from_secs(3600),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// `None` turns rate limiting off.
    pub rate_limits: Option<RateLimits>,
    /// Load from and save to this JSON file; `None` keeps everything in memory.
    pub data_file: Option<PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            rate_limits: Some(RateLimits::default()),
            data_file: None,
        }
    }
}
