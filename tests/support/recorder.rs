//! A loopback HTTP proxy that records every call the app makes to a marketplace, then
//! forwards it to the real (sandbox) one. Stories use it to see what the app asked for and
//! when, without looking inside the app:
//!
//! ```text
//! let sandbox = atelier_tests::sandbox().await;
//! let recorder = Recorder::start(&sandbox.base_url()).await;
//! // ... point the app at recorder.base_url() ...
//! recorder.wait_for(|seen| seen.iter().any(|s| s.is("GET", "/agents/")), WAIT).await;
//! assert_eq!(recorder.count("GET", &format!("/agents/{agent_id}/orders")), 1);
//! ```
//!
//! Paths are recorded relative to the base URL (`/agents/x/orders?status=paid`), so two
//! recorders in front of two marketplaces are compared with the same strings.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::Response;
use axum::Router;
use tokio::sync::{oneshot, watch};

/// Requests larger than this are refused: the app never sends anything near it.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// One request as the recorder saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    /// Path and query, relative to the base URL: `/agents/a1/orders?status=paid`.
    pub path: String,
    /// Whether the request carried an `Authorization` header (its value is not kept).
    pub authorized: bool,
    /// When it arrived.
    pub at: Instant,
    /// The upstream's answer, or `None` when the upstream could not be reached.
    pub status: Option<u16>,
}

impl Seen {
    /// Whether this is a `method` request whose path starts with `path_prefix`.
    pub fn is(&self, method: &str, path_prefix: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.path.starts_with(path_prefix)
    }
}

/// The recording proxy; it stops when dropped.
pub struct Recorder {
    base_url: String,
    seen: watch::Receiver<Vec<Seen>>,
    _stop: oneshot::Sender<()>,
}

struct Upstream {
    /// `http://127.0.0.1:port`
    origin: String,
    /// `/api/atelier` (no trailing slash), shared with the recorder's own base URL.
    prefix: String,
    http: reqwest::Client,
    seen: watch::Sender<Vec<Seen>>,
}

impl Recorder {
    /// Starts recording on a free loopback port in front of `upstream_base_url`
    /// (e.g. `http://127.0.0.1:41234/api/atelier`).
    pub async fn start(upstream_base_url: &str) -> Recorder {
        let url = reqwest::Url::parse(upstream_base_url)
            .unwrap_or_else(|e| panic!("the upstream {upstream_base_url} is a URL: {e}"));
        let origin = url.origin().ascii_serialization();
        let prefix = url.path().trim_end_matches('/').to_owned();
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("a loopback port for the recorder");
        let addr = listener.local_addr().unwrap();
        let (sender, seen) = watch::channel(Vec::new());
        let upstream = Arc::new(Upstream {
            origin,
            prefix: prefix.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            seen: sender,
        });
        let app = Router::new().fallback(forward).with_state(upstream);
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Recorder {
            base_url: format!("http://{addr}{prefix}"),
            seen,
            _stop: stop,
        }
    }

    /// The address to give the app instead of the upstream's.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Every request so far, in the order they arrived.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.borrow().clone()
    }

    /// How many requests so far; pass it to [`Recorder::since`] to look at what came later.
    pub fn mark(&self) -> usize {
        self.seen.borrow().len()
    }

    /// The requests after `mark`.
    pub fn since(&self, mark: usize) -> Vec<Seen> {
        self.seen.borrow().iter().skip(mark).cloned().collect()
    }

    /// How many `method` requests with a path starting with `path_prefix` came so far.
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.seen
            .borrow()
            .iter()
            .filter(|s| s.is(method, path_prefix))
            .count()
    }

    /// Waits up to `timeout` until `pred` holds for the requests seen; whether it did.
    pub async fn wait_for(&self, pred: impl Fn(&[Seen]) -> bool, timeout: Duration) -> bool {
        let mut seen = self.seen.clone();
        tokio::time::timeout(timeout, seen.wait_for(|all| pred(all)))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Waits until no request has come for `quiet` (at most `timeout` in all); whether
    /// it went quiet. For "nothing more happens" checks after a burst of calls.
    pub async fn wait_quiet(&self, quiet: Duration, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut seen = self.seen.clone();
        loop {
            seen.borrow_and_update();
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match tokio::time::timeout(quiet.min(left), seen.changed()).await {
                Err(_) => return quiet <= left,
                Ok(Err(_)) => return true,
                Ok(Ok(())) => continue,
            }
        }
    }
}

/// Hop-by-hop headers, which a proxy does not pass on (RFC 9110 §7.6.1), and `host`.
fn passes(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "host"
            | "content-length"
    )
}

async fn forward(State(upstream): State<Arc<Upstream>>, request: Request) -> Response {
    let at = Instant::now();
    let (parts, body) = request.into_parts();
    let full = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    let relative = full
        .strip_prefix(&upstream.prefix)
        .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
        .unwrap_or(&full)
        .to_owned();
    let index = {
        let mut index = 0;
        upstream.seen.send_modify(|all| {
            index = all.len();
            all.push(Seen {
                method: parts.method.to_string(),
                path: relative,
                authorized: parts.headers.contains_key("authorization"),
                at,
                status: None,
            });
        });
        index
    };
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return status(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let mut call = upstream
        .http
        .request(parts.method.clone(), format!("{}{full}", upstream.origin))
        .body(body);
    for (name, value) in parts.headers.iter().filter(|(n, _)| passes(n)) {
        call = call.header(name, value);
    }
    let Ok(answer) = call.send().await else {
        return status(StatusCode::BAD_GATEWAY);
    };
    let code = answer.status();
    upstream
        .seen
        .send_modify(|all| all[index].status = Some(code.as_u16()));
    let mut response = Response::builder().status(code);
    for (name, value) in answer.headers().iter().filter(|(n, _)| passes(n)) {
        response = response.header(name, value);
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    response
        .body(Body::from(bytes))
        .unwrap_or_else(|_| status(StatusCode::BAD_GATEWAY))
}

fn status(code: StatusCode) -> Response {
    Response::builder()
        .status(code)
        .body(Body::empty())
        .unwrap()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Recorder;

    #[tokio::test]
    async fn it_forwards_and_records_every_call_with_or_without_a_key() {
        let sandbox = crate::sandbox().await;
        let recorder = Recorder::start(&sandbox.base_url()).await;
        assert!(recorder.base_url().ends_with("/api/atelier"));

        let anonymous = crate::client_for(&recorder.base_url());
        let registration = anonymous
            .register(&crate::agent_form("Recorded"))
            .await
            .expect("registration goes through the recorder");
        let mark = recorder.mark();
        let services = anonymous
            .signed_in(registration.api_key)
            .services(&registration.agent_id)
            .await
            .expect("the sandbox answers through the recorder");
        assert!(services.is_empty());

        let seen = recorder.requests();
        assert_eq!(seen.len(), 2, "{seen:#?}");
        assert_eq!(seen[0].method, "POST");
        assert!(!seen[0].authorized, "{:?}", seen[0]);
        assert_eq!(seen[0].status.map(|s| s / 100), Some(2));
        let later = recorder.since(mark);
        assert_eq!(later.len(), 1);
        assert_eq!(
            later[0].path,
            format!("/agents/{}/services", registration.agent_id)
        );
        assert!(later[0].authorized);
        assert_eq!(later[0].status, Some(200));
        assert_eq!(recorder.count("get", "/agents/"), 1);
        assert!(
            recorder
                .wait_for(|s| s.len() == 2, Duration::from_millis(10))
                .await
        );
        assert!(
            !recorder
                .wait_for(|s| s.len() == 3, Duration::from_millis(100))
                .await
        );
        assert!(
            recorder
                .wait_quiet(Duration::from_millis(100), Duration::from_secs(5))
                .await
        );
    }
}
