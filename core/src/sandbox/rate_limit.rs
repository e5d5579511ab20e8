//! The real server's limiter, quirks included: one fixed window and one counter
//! per client, shared by every limited endpoint, each of which compares that
//! shared count against its own limit. A request that is let through counts
//! whatever it later answers; a refused one does not count.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::reply;
use super::RateLimits;

/// Which limit applies to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// `POST /agents/register`
    Register,
    /// `POST /agents/{id}/services`
    ServiceCreate,
    /// `GET /agents/{id}/orders` and `POST /orders/{id}/deliver`
    Orders,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Limited {
        limit: u32,
        retry_after_secs: u64,
        reset_unix_secs: u64,
    },
}

#[derive(Debug)]
struct Window {
    count: u32,
    resets_at_ms: u64,
}

/// Past this many clients, expired windows are dropped (the server sweeps on a timer).
const SWEEP_THRESHOLD: usize = 1024;

#[derive(Debug)]
pub struct RateLimiter {
    limits: RateLimits,
    clients: HashMap<String, Window>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        RateLimiter {
            limits,
            clients: HashMap::new(),
        }
    }

    fn limit_for(&self, bucket: Bucket) -> u32 {
        match bucket {
            Bucket::Register => self.limits.register,
            Bucket::ServiceCreate => self.limits.service_create,
            Bucket::Orders => self.limits.orders,
        }
    }

    /// Decide on one request from `client` at `now_ms` (Unix milliseconds).
    pub fn check(&mut self, client: &str, bucket: Bucket, now_ms: u64) -> Decision {
        let limit = self.limit_for(bucket);
        let window_ms = u64::try_from(self.limits.window.as_millis()).unwrap_or(u64::MAX);
        if self.clients.len() > SWEEP_THRESHOLD {
            self.clients.retain(|_, w| now_ms <= w.resets_at_ms);
        }
        match self.clients.get_mut(client) {
            // A new window always admits its first request, even with a limit of 0.
            Some(w) if now_ms <= w.resets_at_ms => {
                if w.count >= limit {
                    let left_ms = w.resets_at_ms - now_ms;
                    return Decision::Limited {
                        limit,
                        retry_after_secs: left_ms.div_ceil(1000).max(1),
                        reset_unix_secs: w.resets_at_ms / 1000,
                    };
                }
                w.count += 1;
            }
            _ => {
                self.clients.insert(
                    client.to_owned(),
                    Window {
                        count: 1,
                        resets_at_ms: now_ms.saturating_add(window_ms),
                    },
                );
            }
        }
        Decision::Allowed
    }
}

/// The key a request is counted under: the first `X-Forwarded-For` entry,
/// else `X-Real-IP` (as the server), else the connecting address.
pub fn client_key(headers: &HeaderMap, peer: SocketAddr) -> String {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    if let Some(forwarded) = header("x-forwarded-for") {
        let first = forwarded.split(',').next().unwrap_or_default().trim();
        if !first.is_empty() {
            return first.to_owned();
        }
    }
    match header("x-real-ip") {
        Some(real) if !real.is_empty() => real,
        _ => peer.ip().to_string(),
    }
}

/// The 429 answer; only here do the `X-RateLimit-*` headers appear.
pub fn too_many_requests(limit: u32, retry_after_secs: u64, reset_unix_secs: u64) -> Response {
    let mut response = reply::error(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many requests. Please try again later.",
    )
    .into_response();
    let headers = response.headers_mut();
    headers.insert("retry-after", HeaderValue::from(retry_after_secs));
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    headers.insert("x-ratelimit-reset", HeaderValue::from(reset_unix_secs));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limiter(register: u32, service_create: u32, orders: u32, window_secs: u64) -> RateLimiter {
        RateLimiter::new(RateLimits {
            register,
            service_create,
            orders,
            window: Duration::from_secs(window_secs),
        })
    }

    #[test]
    fn each_endpoint_compares_the_shared_count_with_its_own_limit() {
        let mut rl = limiter(5, 20, 30, 3600);
        let t = 1_000_000;
        for _ in 0..5 {
            assert_eq!(rl.check("ip", Bucket::ServiceCreate, t), Decision::Allowed);
        }
        assert!(matches!(
            rl.check("ip", Bucket::Register, t),
            Decision::Limited { limit: 5, .. }
        ));
        assert_eq!(rl.check("ip", Bucket::Orders, t), Decision::Allowed);
        assert_eq!(rl.check("other", Bucket::Register, t), Decision::Allowed);
    }

    #[test]
    fn window_is_fixed_from_the_first_request_and_refusals_do_not_count() {
        let mut rl = limiter(2, 2, 2, 10);
        let start = 50_000;
        assert_eq!(rl.check("ip", Bucket::Orders, start), Decision::Allowed);
        assert_eq!(
            rl.check("ip", Bucket::Orders, start + 9_000),
            Decision::Allowed
        );
        for _ in 0..10 {
            assert_eq!(
                rl.check("ip", Bucket::Orders, start + 9_500),
                Decision::Limited {
                    limit: 2,
                    retry_after_secs: 1,
                    reset_unix_secs: 60
                }
            );
        }
        // The window still ends 10 s after the first request, not the last.
        assert!(matches!(
            rl.check("ip", Bucket::Orders, start + 10_000),
            Decision::Limited { .. }
        ));
        assert_eq!(
            rl.check("ip", Bucket::Orders, start + 10_001),
            Decision::Allowed
        );
        assert_eq!(
            rl.check("ip", Bucket::Orders, start + 10_002),
            Decision::Allowed
        );
        assert!(matches!(
            rl.check("ip", Bucket::Orders, start + 10_003),
            Decision::Limited { .. }
        ));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let mut rl = limiter(1, 1, 1, 3600);
        assert_eq!(rl.check("ip", Bucket::Register, 0), Decision::Allowed);
        assert_eq!(
            rl.check("ip", Bucket::Register, 1),
            Decision::Limited {
                limit: 1,
                retry_after_secs: 3600,
                reset_unix_secs: 3600
            }
        );
    }

    #[test]
    fn forwarded_for_first_entry_wins_then_real_ip_then_peer() {
        let peer: SocketAddr = ([127, 0, 0, 1], 4000).into();
        let mut headers = HeaderMap::new();
        assert_eq!(client_key(&headers, peer), "127.0.0.1");
        headers.insert("x-real-ip", HeaderValue::from_static("198.51.100.9"));
        assert_eq!(client_key(&headers, peer), "198.51.100.9");
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static(" 203.0.113.7 , 10.0.0.1"),
        );
        assert_eq!(client_key(&headers, peer), "203.0.113.7");
    }
}
