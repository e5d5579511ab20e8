//! A loopback HTTP proxy in front of a marketplace (a sandbox) that answers chosen requests
//! the way a broken proxy, a captive portal, a compromised or merely newer server would:
//! 5xx, 429s with absurd or garbled waits, slow or trickled answers, connections closed
//! mid-answer, HTML where JSON belongs, an endless body, a redirect to another origin.
//! Everything else passes through to the upstream. Every request is recorded.
//!
//! ```text
//! let sandbox = atelier_tests::sandbox().await;
//! let proxy = FaultProxy::start(&sandbox.base_url()).await;
//! proxy.times(1, Pattern::path_contains("/orders"), Fault::too_many(Some(When::text(ABSURD)), None));
//! proxy.next(2, Fault::Status(500));                 // whatever the next two requests are
//! proxy.always(Pattern::any(), Fault::Garbage);      // until `clear()`
//! proxy.chaos(7, 30, vec![Fault::Status(502), Fault::DropMidBody]); // 30 % at random, seeded
//! // ... point a client or the app at proxy.base_url() ...
//! assert!(proxy.hits().iter().all(|h| h.fault == "pass" || h.authorized));
//! assert!(proxy.elsewhere().visits().iter().all(|v| !v.authorized));
//! ```
//!
//! Rules are tried in the order they were added; the first that matches the request and
//! has uses left decides, so `times(1, p, A); times(1, p, B)` answers A, then B, then
//! passes. Requests no rule takes go to the chaos mix when one is set, else upstream.
//!
//! Bounded by construction: no delay is longer than [`MAX_DELAY`], no body longer than
//! [`MAX_FAULT_BODY`], streamed bodies are produced lazily (a 1 GiB answer never exists in
//! memory), and dropping the proxy ends every wait and every stream at once.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use tokio::sync::watch;

/// `Retry-After` as large as a `u64` goes: obeying it would mean never calling again.
pub const ABSURD_RETRY_AFTER: &str = "18446744073709551615";
/// What a captive portal answers instead of JSON.
pub const CAPTIVE_PORTAL: &str = "<html>captive portal</html>";
/// 1 GiB.
pub const GIB: u64 = 1 << 30;
/// The longest any fault waits (before headers, or between trickled chunks in all).
pub const MAX_DELAY: Duration = Duration::from_secs(120);
/// The longest body a fault streams.
pub const MAX_FAULT_BODY: u64 = 4 * GIB;
/// Requests larger than this are refused: no client of this app sends anything near it.
const MAX_REQUEST_BODY: usize = 4 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// A time for a header, relative to when the answer is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// Exactly this text (`"-5"`, `"soon"`, [`ABSURD_RETRY_AFTER`]).
    Text(String),
    /// An IMF-fixdate this many seconds from now (negative: in the past).
    HttpDateIn(i64),
    /// Unix seconds this many seconds from now, as `X-RateLimit-Reset` carries them.
    UnixIn(i64),
}

impl When {
    pub fn text(text: &str) -> When {
        When::Text(text.to_owned())
    }

    fn render(&self, now: SystemTime) -> String {
        let unix = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        match self {
            When::Text(text) => text.clone(),
            When::UnixIn(offset) => (unix + offset).to_string(),
            When::HttpDateIn(offset) => http_date(unix + offset),
        }
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(unix: i64) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// What the proxy does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forwards it upstream and returns the answer as it is.
    Pass,
    /// This status, with the real server's error shape (`{"success":false,"error":...}`);
    /// the upstream never sees the request.
    Status(u16),
    /// A 429 with these headers (each left out when `None`); upstream never sees it.
    RateLimited {
        retry_after: Option<When>,
        reset: Option<When>,
    },
    /// Forwards it upstream, then holds the answer `before_headers`, then sends the
    /// upstream's body `chunk` bytes every `every` (all at once when `chunk` is 0).
    Slow {
        before_headers: Duration,
        chunk: usize,
        every: Duration,
    },
    /// 200 with a `content-length` of 4096, a quarter of a JSON body, then the connection
    /// is closed. Upstream never sees it.
    DropMidBody,
    /// 200 `text/html` [`CAPTIVE_PORTAL`]. Upstream never sees it.
    Garbage,
    /// 200 with a JSON body `bytes` long (an array that never ends), made as it is sent;
    /// `content-length` declared or not (chunked). Upstream never sees it.
    Huge { bytes: u64, declare_length: bool },
    /// `status` (302, 307...) to the same path on [`FaultProxy::elsewhere`], another origin.
    RedirectElsewhere { status: u16 },
}

impl Fault {
    /// A 429 with these headers.
    pub fn too_many(retry_after: Option<When>, reset: Option<When>) -> Fault {
        Fault::RateLimited { retry_after, reset }
    }

    /// A 429 asking for `u64::MAX` seconds, with a reset time just as absurd.
    pub fn absurd_429() -> Fault {
        Fault::too_many(
            Some(When::text(ABSURD_RETRY_AFTER)),
            Some(When::text(ABSURD_RETRY_AFTER)),
        )
    }

    /// Holds the answer this long before its headers.
    pub fn delay(before_headers: Duration) -> Fault {
        Fault::Slow {
            before_headers,
            chunk: 0,
            every: Duration::ZERO,
        }
    }

    /// 1 GiB of JSON that never closes.
    pub fn gib(declare_length: bool) -> Fault {
        Fault::Huge {
            bytes: GIB,
            declare_length,
        }
    }

    /// A short name for records and messages: `pass`, `500`, `429`, `slow`, `drop`,
    /// `garbage`, `huge`, `redirect`.
    pub fn name(&self) -> String {
        match self {
            Fault::Pass => "pass".into(),
            Fault::Status(status) => status.to_string(),
            Fault::RateLimited { .. } => "429".into(),
            Fault::Slow { .. } => "slow".into(),
            Fault::DropMidBody => "drop".into(),
            Fault::Garbage => "garbage".into(),
            Fault::Huge { .. } => "huge".into(),
            Fault::RedirectElsewhere { .. } => "redirect".into(),
        }
    }
}

/// Which requests a rule applies to, by method and path (relative to the base URL, with
/// the query: `/agents/ext_1/orders?status=paid%2Cin_progress`).
#[derive(Clone)]
pub struct Pattern {
    label: String,
    test: Test,
}

/// Whether a request (method, path) matches.
type Test = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

impl Pattern {
    pub fn any() -> Pattern {
        Pattern::custom("any", |_, _| true)
    }

    /// Requests whose path (and query) contains `needle`.
    pub fn path_contains(needle: &str) -> Pattern {
        let needle = needle.to_owned();
        Pattern::custom(&format!("path contains {needle:?}"), move |_, path| {
            path.contains(&needle)
        })
    }

    /// `method` requests whose path (and query) contains `needle`.
    pub fn request(method: &str, needle: &str) -> Pattern {
        let (method, needle) = (method.to_owned(), needle.to_owned());
        Pattern::custom(&format!("{method} {needle:?}"), move |m, path| {
            m.eq_ignore_ascii_case(&method) && path.contains(&needle)
        })
    }

    /// The watcher's look for new paid orders: the order list filtered by status.
    pub fn watcher_poll() -> Pattern {
        Pattern::request("GET", "/orders?status=")
    }

    pub fn custom(
        label: &str,
        test: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
    ) -> Pattern {
        Pattern {
            label: label.to_owned(),
            test: Arc::new(test),
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        (self.test)(method, path)
    }
}

/// Every request the pattern does not match: `!Pattern::watcher_poll()`.
impl std::ops::Not for Pattern {
    type Output = Pattern;

    fn not(self) -> Pattern {
        let inner = self.test;
        Pattern {
            label: format!("not ({})", self.label),
            test: Arc::new(move |m, p| !inner(m, p)),
        }
    }
}

struct Rule {
    pattern: Pattern,
    fault: Fault,
    /// `None`: until cleared.
    uses_left: Option<u32>,
}

/// Random faults for requests no rule takes: each one gets a fault with probability
/// `percent`/100, picked evenly from `faults`; the same seed gives the same sequence.
struct Chaos {
    state: u64,
    percent: u8,
    faults: Vec<Fault>,
}

impl Chaos {
    /// splitmix64: small, seedable, good enough to pick faults.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick(&mut self) -> Fault {
        if self.faults.is_empty() || self.next() % 100 >= u64::from(self.percent) {
            return Fault::Pass;
        }
        let at = (self.next() % self.faults.len() as u64) as usize;
        self.faults[at].clone()
    }
}

/// One request as the proxy saw it.
#[derive(Clone)]
pub struct Hit {
    pub method: String,
    /// Path and query, relative to the base URL.
    pub path: String,
    /// Whether it carried an `Authorization` header (the value is not kept).
    pub authorized: bool,
    /// [`Fault::name`] of what it got.
    pub fault: String,
    /// The status sent back, once known (`None` when the upstream could not be reached
    /// yet or at all).
    pub status: Option<u16>,
    pub at: Instant,
    sent: Arc<AtomicU64>,
}

impl Hit {
    /// Body bytes handed to the connection for this request so far (faults that make
    /// their own body, and slow answers); what the client read is at most this.
    pub fn body_bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Whether this is a `method` request whose path contains `needle`.
    pub fn is(&self, method: &str, needle: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.path.contains(needle)
    }
}

impl std::fmt::Debug for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}-> {} ({:?}, {} body bytes)",
            self.method,
            self.path,
            if self.authorized { "(key) " } else { "" },
            self.fault,
            self.status,
            self.body_bytes_sent()
        )
    }
}

struct Shared {
    origin: String,
    prefix: String,
    http: reqwest::Client,
    rules: Mutex<Vec<Rule>>,
    chaos: Mutex<Option<Chaos>>,
    hits: watch::Sender<Vec<Hit>>,
    elsewhere_origin: String,
    stop: watch::Receiver<bool>,
}

/// The proxy; it stops when dropped, ending every delay and stream in flight.
pub struct FaultProxy {
    base_url: String,
    shared: Arc<Shared>,
    elsewhere: Elsewhere,
    stop: watch::Sender<bool>,
}

impl FaultProxy {
    /// Starts on a free loopback port in front of `upstream_base_url`
    /// (`http://127.0.0.1:41234/api/atelier`), passing everything through.
    pub async fn start(upstream_base_url: &str) -> FaultProxy {
        let url = reqwest::Url::parse(upstream_base_url)
            .unwrap_or_else(|e| panic!("the upstream {upstream_base_url} is a URL: {e}"));
        let prefix = url.path().trim_end_matches('/').to_owned();
        let (stop, stopped) = watch::channel(false);
        let elsewhere = Elsewhere::start(stopped.clone()).await;
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("a loopback port for the fault proxy");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            origin: url.origin().ascii_serialization(),
            prefix: prefix.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            rules: Mutex::new(Vec::new()),
            chaos: Mutex::new(None),
            hits: watch::channel(Vec::new()).0,
            elsewhere_origin: elsewhere.origin.clone(),
            stop: stopped.clone(),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        serve(listener, app, stopped);
        FaultProxy {
            base_url: format!("http://{addr}{prefix}"),
            shared,
            elsewhere,
            stop,
        }
    }

    /// The address to give a client instead of the upstream's.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The other origin that [`Fault::RedirectElsewhere`] sends clients to.
    pub fn elsewhere(&self) -> &Elsewhere {
        &self.elsewhere
    }

    /// The next `n` requests matching `pattern` get `fault` (after earlier rules).
    pub fn times(&self, n: u32, pattern: Pattern, fault: Fault) {
        self.add(pattern, fault, Some(n));
    }

    /// The next `n` requests, whatever they are, get `fault` (after earlier rules).
    pub fn next(&self, n: u32, fault: Fault) {
        self.add(Pattern::any(), fault, Some(n));
    }

    /// Every request matching `pattern` gets `fault` until [`FaultProxy::clear`].
    pub fn always(&self, pattern: Pattern, fault: Fault) {
        self.add(pattern, fault, None);
    }

    /// Requests no rule takes get one of `faults` with probability `percent`/100, chosen
    /// by a generator seeded with `seed` (the same seed, the same sequence).
    pub fn chaos(&self, seed: u64, percent: u8, faults: Vec<Fault>) {
        *self.shared.chaos.lock().unwrap() = Some(Chaos {
            state: seed,
            percent: percent.min(100),
            faults,
        });
    }

    /// Removes every rule and the chaos mix: everything passes from now on.
    pub fn clear(&self) {
        self.shared.rules.lock().unwrap().clear();
        *self.shared.chaos.lock().unwrap() = None;
    }

    /// How many uses the rules have left in all (`u32::MAX` for an `always` rule).
    pub fn uses_left(&self) -> u32 {
        self.shared
            .rules
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.uses_left.unwrap_or(u32::MAX))
            .fold(0, u32::saturating_add)
    }

    fn add(&self, pattern: Pattern, fault: Fault, uses_left: Option<u32>) {
        self.shared.rules.lock().unwrap().push(Rule {
            pattern,
            fault,
            uses_left,
        });
    }

    /// Every request so far, in the order they arrived.
    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.borrow().clone()
    }

    /// How many requests so far; pass it to [`FaultProxy::since`].
    pub fn mark(&self) -> usize {
        self.shared.hits.borrow().len()
    }

    /// The requests after `mark`.
    pub fn since(&self, mark: usize) -> Vec<Hit> {
        self.shared
            .hits
            .borrow()
            .iter()
            .skip(mark)
            .cloned()
            .collect()
    }

    /// Waits up to `timeout` until `pred` holds for the requests seen; whether it did.
    pub async fn wait_for(&self, pred: impl Fn(&[Hit]) -> bool, timeout: Duration) -> bool {
        let mut hits = self.shared.hits.subscribe();
        tokio::time::timeout(timeout, hits.wait_for(|all| pred(all)))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Serves `app` on `listener` until `stop` turns true (or its sender is dropped).
fn serve(listener: tokio::net::TcpListener, app: Router, stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(stopped(stop))
            .await;
    });
}

/// Resolves once `stop` turns true or its sender is gone.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Sleeps `d` (at most [`MAX_DELAY`]); false if the proxy stopped meanwhile.
async fn pause(d: Duration, stop: &watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d.min(MAX_DELAY)) => true,
        _ = stopped(stop.clone()) => false,
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

impl Shared {
    /// The fault for this request, taking one use of the rule that decides.
    fn decide(&self, method: &str, path: &str) -> Fault {
        let mut rules = self.rules.lock().unwrap();
        if let Some(rule) = rules
            .iter_mut()
            .find(|r| r.uses_left != Some(0) && r.pattern.matches(method, path))
        {
            if let Some(n) = rule.uses_left.as_mut() {
                *n -= 1;
            }
            return rule.fault.clone();
        }
        drop(rules);
        match self.chaos.lock().unwrap().as_mut() {
            Some(chaos) => chaos.pick(),
            None => Fault::Pass,
        }
    }

    fn set_status(&self, index: usize, status: u16) {
        self.hits
            .send_modify(|all| all[index].status = Some(status));
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let at = Instant::now();
    let (parts, body) = request.into_parts();
    let full = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    let relative = full
        .strip_prefix(&shared.prefix)
        .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
        .unwrap_or(&full)
        .to_owned();
    let method = parts.method.to_string();
    let fault = shared.decide(&method, &relative);
    let sent = Arc::new(AtomicU64::new(0));
    let index = {
        let mut index = 0;
        shared.hits.send_modify(|all| {
            index = all.len();
            all.push(Hit {
                method: method.clone(),
                path: relative.clone(),
                authorized: parts.headers.contains_key("authorization"),
                fault: fault.name(),
                status: None,
                at,
                sent: sent.clone(),
            });
        });
        index
    };
    let now = SystemTime::now();
    let stop = shared.stop.clone();
    let response = match &fault {
        Fault::Pass | Fault::Slow { .. } => {
            let Ok(body) = to_bytes(body, MAX_REQUEST_BODY).await else {
                return plain(StatusCode::PAYLOAD_TOO_LARGE, "");
            };
            let mut call = shared
                .http
                .request(parts.method.clone(), format!("{}{full}", shared.origin))
                .body(body);
            for (name, value) in parts.headers.iter().filter(|(n, _)| passes(n)) {
                call = call.header(name, value);
            }
            let Ok(answer) = call.send().await else {
                shared.set_status(index, 502);
                return plain(StatusCode::BAD_GATEWAY, "");
            };
            let mut response = Response::builder().status(answer.status());
            for (name, value) in answer.headers().iter().filter(|(n, _)| passes(n)) {
                response = response.header(name, value);
            }
            let Ok(bytes) = answer.bytes().await else {
                shared.set_status(index, 502);
                return plain(StatusCode::BAD_GATEWAY, "");
            };
            match &fault {
                Fault::Slow {
                    before_headers,
                    chunk,
                    every,
                } => {
                    if !pause(*before_headers, &stop).await {
                        return plain(StatusCode::SERVICE_UNAVAILABLE, "");
                    }
                    response
                        .header("content-length", bytes.len())
                        .body(trickle(bytes, *chunk, *every, sent, stop))
                }
                _ => {
                    sent.store(bytes.len() as u64, Ordering::SeqCst);
                    response.body(Body::from(bytes))
                }
            }
            .unwrap_or_else(|_| plain(StatusCode::BAD_GATEWAY, ""))
        }
        Fault::Status(status) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = serde_json::json!({
                "success": false,
                "error": status.canonical_reason().unwrap_or("Internal server error"),
            });
            json(status, &body)
        }
        Fault::RateLimited { retry_after, reset } => {
            let body = serde_json::json!({
                "success": false,
                "error": "Too many requests. Please try again later.",
            });
            let mut response = json(StatusCode::TOO_MANY_REQUESTS, &body);
            let headers = response.headers_mut();
            headers.insert("date", header(&http_date(unix(now))));
            headers.insert("x-ratelimit-limit", HeaderValue::from_static("30"));
            headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            if let Some(value) = retry_after {
                headers.insert("retry-after", header(&value.render(now)));
            }
            if let Some(value) = reset {
                headers.insert("x-ratelimit-reset", header(&value.render(now)));
            }
            response
        }
        Fault::DropMidBody => {
            let start = Bytes::from_static(b"{\"success\":true,\"data\":[");
            let mut part = start.to_vec();
            part.resize(1024, b' ');
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .header("content-length", "4096")
                .body(cut_short(Bytes::from(part), sent, stop))
                .unwrap()
        }
        Fault::Garbage => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/html")
            .body(Body::from(CAPTIVE_PORTAL))
            .unwrap(),
        Fault::Huge {
            bytes,
            declare_length,
        } => {
            let bytes = (*bytes).min(MAX_FAULT_BODY);
            let mut response = Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json");
            if *declare_length {
                response = response.header("content-length", bytes);
            }
            response.body(endless(bytes, sent, stop)).unwrap()
        }
        Fault::RedirectElsewhere { status } => Response::builder()
            .status(StatusCode::from_u16(*status).unwrap_or(StatusCode::FOUND))
            .header("location", format!("{}{full}", shared.elsewhere_origin))
            .header("content-length", "0")
            .body(Body::empty())
            .unwrap(),
    };
    shared.set_status(index, response.status().as_u16());
    response
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A header value for text the test chose; anything a header cannot hold becomes `?`.
fn header(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("?"))
}

fn plain(status: StatusCode, body: &'static str) -> Response {
    Response::builder()
        .status(status)
        .body(Body::from(body))
        .unwrap()
}

fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

type Chunk = Result<Bytes, std::io::Error>;

fn stream_body(
    stream: impl futures_util::Stream<Item = Chunk> + Send + 'static,
    sent: Arc<AtomicU64>,
) -> Body {
    use futures_util::StreamExt;
    Body::from_stream(stream.inspect(move |chunk| {
        if let Ok(bytes) = chunk {
            sent.fetch_add(bytes.len() as u64, Ordering::SeqCst);
        }
    }))
}

/// `whole`, `chunk` bytes every `every`; all at once when `chunk` is 0. Ends early if the
/// proxy stops.
fn trickle(
    whole: Bytes,
    chunk: usize,
    every: Duration,
    sent: Arc<AtomicU64>,
    stop: watch::Receiver<bool>,
) -> Body {
    let chunk = if chunk == 0 {
        whole.len().max(1)
    } else {
        chunk
    };
    let stream = futures_util::stream::unfold((whole, stop), move |(mut rest, stop)| async move {
        if rest.is_empty() {
            return None;
        }
        if !pause(every, &stop).await {
            return Some((
                Err(std::io::Error::other("the proxy stopped")),
                (Bytes::new(), stop),
            ));
        }
        let piece = rest.split_to(chunk.min(rest.len()));
        Some((Ok(piece), (rest, stop)))
    });
    stream_body(stream, sent)
}

/// `part`, then an error: hyper closes the connection short of the declared length.
fn cut_short(part: Bytes, sent: Arc<AtomicU64>, stop: watch::Receiver<bool>) -> Body {
    let stream = futures_util::stream::unfold(Some(part), move |state| {
        let stop = stop.clone();
        async move {
            match state {
                Some(part) => Some((Ok(part), None)),
                None => {
                    // Let the first part reach the client before hanging up.
                    pause(Duration::from_millis(50), &stop).await;
                    Some((
                        Err(std::io::Error::other("connection dropped on purpose")),
                        None,
                    ))
                }
            }
        }
    });
    // One error ends the body; unfold is not polled again after it.
    stream_body(futures_util::StreamExt::take(stream, 2), sent)
}

/// `{"success":true,"data":[` and then spaces, `total` bytes in all, made chunk by chunk
/// as the connection takes them. Ends early if the proxy stops.
fn endless(total: u64, sent: Arc<AtomicU64>, stop: watch::Receiver<bool>) -> Body {
    static SPACES: [u8; CHUNK] = [b' '; CHUNK];
    let head = b"{\"success\":true,\"data\":[";
    let stream = futures_util::stream::unfold(0u64, move |done| {
        let stop = stop.clone();
        async move {
            if done >= total {
                return None;
            }
            if *stop.borrow() {
                return Some((Err(std::io::Error::other("the proxy stopped")), total));
            }
            let n = (total - done).min(CHUNK as u64) as usize;
            let bytes = if done == 0 {
                let mut first = head[..n.min(head.len())].to_vec();
                first.resize(n, b' ');
                Bytes::from(first)
            } else {
                Bytes::from_static(&SPACES[..n])
            };
            Some((Ok(bytes), done + n as u64))
        }
    });
    stream_body(stream, sent)
}

/// A request that reached the other origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub method: String,
    pub path: String,
    /// Whether it carried an `Authorization` header. It never should.
    pub authorized: bool,
}

/// Another loopback origin, where [`Fault::RedirectElsewhere`] points. It records every
/// request and answers `{"success":true,"data":[]}`, which a client following the redirect
/// would happily take for an empty order list.
pub struct Elsewhere {
    origin: String,
    visits: watch::Receiver<Vec<Visit>>,
}

impl Elsewhere {
    async fn start(stop: watch::Receiver<bool>) -> Elsewhere {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("a loopback port for the other origin");
        let addr = listener.local_addr().unwrap();
        let (record, visits) = watch::channel(Vec::new());
        let record = Arc::new(record);
        let app = Router::new().fallback(move |request: Request| {
            let record = record.clone();
            async move {
                record.send_modify(|all| {
                    all.push(Visit {
                        method: request.method().to_string(),
                        path: request.uri().to_string(),
                        authorized: request.headers().contains_key("authorization"),
                    })
                });
                json(
                    StatusCode::OK,
                    &serde_json::json!({"success": true, "data": []}),
                )
            }
        });
        serve(listener, app, stop);
        Elsewhere {
            origin: format!("http://{addr}"),
            visits,
        }
    }

    /// `http://127.0.0.1:port`
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Every request it received.
    pub fn visits(&self) -> Vec<Visit> {
        self.visits.borrow().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(url: &str) -> Result<(u16, reqwest::header::HeaderMap, Bytes), reqwest::Error> {
        let answer = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(url)
            .header("authorization", "Bearer atelier_x")
            .send()
            .await?;
        let status = answer.status().as_u16();
        let headers = answer.headers().clone();
        Ok((status, headers, answer.bytes().await?))
    }

    #[tokio::test]
    async fn rules_apply_in_order_then_everything_passes() {
        let sandbox = crate::sandbox().await;
        let proxy = FaultProxy::start(&sandbox.base_url()).await;
        let url = format!("{}/orders/ord_none", proxy.base_url());
        proxy.times(1, Pattern::path_contains("/orders"), Fault::Status(503));
        proxy.times(1, Pattern::path_contains("/orders"), Fault::absurd_429());
        proxy.next(1, Fault::Garbage);
        proxy.times(
            1,
            Pattern::path_contains("/nothing-like-it"),
            Fault::Status(500),
        );

        let (status, _, _) = get(&url).await.unwrap();
        assert_eq!(status, 503);
        let (status, headers, _) = get(&url).await.unwrap();
        assert_eq!(status, 429);
        assert_eq!(headers["retry-after"], ABSURD_RETRY_AFTER);
        let (status, _, body) = get(&url).await.unwrap();
        assert_eq!((status, &body[..]), (200, CAPTIVE_PORTAL.as_bytes()));
        // The sandbox's own answer: an unknown order.
        let (status, _, _) = get(&url).await.unwrap();
        assert_eq!(status, 404);
        assert_eq!(proxy.uses_left(), 1);

        let faults: Vec<String> = proxy.hits().iter().map(|h| h.fault.clone()).collect();
        assert_eq!(faults, ["503", "429", "garbage", "pass"]);
        assert!(proxy.hits().iter().all(|h| h.authorized));
        assert_eq!(proxy.hits()[0].path, "/orders/ord_none");
        assert_eq!(proxy.hits()[3].status, Some(404));
    }

    #[tokio::test]
    async fn a_huge_body_is_made_only_as_fast_as_it_is_read() {
        let sandbox = crate::sandbox().await;
        let proxy = FaultProxy::start(&sandbox.base_url()).await;
        proxy.next(1, Fault::gib(true));
        let url = format!("{}/agents/me", proxy.base_url());
        let mut answer = reqwest::get(&url).await.unwrap();
        assert_eq!(answer.content_length(), Some(GIB));
        let first = answer.chunk().await.unwrap().unwrap();
        assert!(first.starts_with(b"{\"success\":true,\"data\":["));
        drop(answer);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let sent = proxy.hits()[0].body_bytes_sent();
        assert!(
            sent < 64 << 20,
            "{sent} bytes made for a client that read one chunk"
        );
    }

    #[tokio::test]
    async fn a_redirect_goes_to_another_origin_that_records_who_came() {
        let sandbox = crate::sandbox().await;
        let proxy = FaultProxy::start(&sandbox.base_url()).await;
        proxy.next(1, Fault::RedirectElsewhere { status: 302 });
        let (status, headers, _) = get(&format!("{}/agents/me", proxy.base_url()))
            .await
            .unwrap();
        assert_eq!(status, 302);
        let location = headers["location"].to_str().unwrap();
        assert!(
            location.starts_with(proxy.elsewhere().origin()),
            "{location}"
        );
        assert!(location.ends_with("/api/atelier/agents/me"), "{location}");
        get(location).await.unwrap();
        assert_eq!(proxy.elsewhere().visits().len(), 1);
        assert!(
            proxy.elsewhere().visits()[0].authorized,
            "this test sent one"
        );
    }

    #[tokio::test]
    async fn chaos_with_the_same_seed_picks_the_same_faults() {
        let pick = |seed| {
            let mut chaos = Chaos {
                state: seed,
                percent: 50,
                faults: vec![Fault::Status(500), Fault::Garbage, Fault::DropMidBody],
            };
            (0..40).map(|_| chaos.pick().name()).collect::<Vec<_>>()
        };
        assert_eq!(pick(7), pick(7));
        assert_ne!(pick(7), pick(8));
        let picks = pick(7);
        assert!(picks.iter().any(|p| p == "pass") && picks.iter().any(|p| p != "pass"));
    }

    #[tokio::test]
    async fn dropping_the_proxy_ends_a_slow_answer() {
        let sandbox = crate::sandbox().await;
        let proxy = FaultProxy::start(&sandbox.base_url()).await;
        proxy.next(1, Fault::delay(Duration::from_secs(100)));
        let url = format!("{}/agents/me", proxy.base_url());
        let call = tokio::spawn(async move { reqwest::get(&url).await.map(|a| a.status()) });
        assert!(
            proxy
                .wait_for(|hits| !hits.is_empty(), Duration::from_secs(5))
                .await
        );
        let started = Instant::now();
        drop(proxy);
        let outcome = tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .expect("the slow answer ends when the proxy goes");
        assert!(started.elapsed() < Duration::from_secs(10), "{outcome:?}");
    }

    #[test]
    fn http_dates_are_imf_fixdates() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
