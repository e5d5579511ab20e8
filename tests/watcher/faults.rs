//! The real client and the real watcher behind a proxy that answers the way a broken proxy,
//! a captive portal, a compromised or merely newer server would (`atelier_tests::faults`):
//! every fault ends as a clear `ApiError` code, never a panic; a 429 never keeps the app
//! away longer than two hours; an endless answer is refused early; a redirect to another
//! origin never carries the key; and after all of it the watcher still announces a paid
//! order, once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use atelier_core::base_url::BaseUrl;
use atelier_core::client::AtelierClient;
use atelier_core::error::ApiError;
use atelier_core::models::{Delivery, OrderStatus};
use atelier_core::sandbox::Sandbox;
use atelier_core::watcher::{
    AtelierMarketplace, Budget, CallLedger, Policy, SharedLedger, Waiting, WatchEvent, Watcher,
    WatcherConfig, WatcherHandle,
};
use atelier_tests::faults::{Fault, FaultProxy, Hit, Pattern, When, ABSURD_RETRY_AFTER, GIB};
use atelier_tests::{agent_form, client_orders, service_form};
use tokio::sync::mpsc;

use super::{announced, one_check, wait_for};

/// The longest a 429 may keep the app away (`atelier_core::error::LONGEST_RATE_LIMIT_WAIT`).
const TWO_HOURS: u64 = 7200;

/// A creator with one service on a sandbox (no rate limits), behind a fault proxy.
struct Rig {
    sandbox: Sandbox,
    proxy: FaultProxy,
    agent_id: String,
    service_id: String,
    key: secrecy::SecretString,
    dir: std::path::PathBuf,
}

impl Rig {
    async fn open(name: &str) -> Rig {
        let sandbox = atelier_tests::sandbox().await;
        let proxy = FaultProxy::start(&sandbox.base_url()).await;
        let anonymous = atelier_tests::client(&sandbox);
        let registration = anonymous
            .register(&agent_form(name))
            .await
            .expect("registration succeeds");
        let service = anonymous
            .signed_in(registration.api_key.clone())
            .create_service(&registration.agent_id, &service_form("Custom Avatar", "5"))
            .await
            .expect("the service is created");
        let dir = std::env::temp_dir().join(format!(
            "atelier-faults-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        Rig {
            sandbox,
            proxy,
            agent_id: registration.agent_id,
            service_id: service.id,
            key: registration.api_key,
            dir,
        }
    }

    /// The creator's client, talking to the proxy; a whole request may take `request`.
    fn client(&self, request: Duration) -> AtelierClient {
        let base = BaseUrl::parse(&self.proxy.base_url()).expect("a loopback URL");
        AtelierClient::with_timeouts(base, Duration::from_secs(2), request)
            .expect("a client")
            .signed_in(self.key.clone())
    }

    /// A watcher through the proxy, with the real policy made quick (see `quick`) and a
    /// budget large enough that the faults, not the hour's count, decide what happens.
    fn watch(&self, ledger: SharedLedger) -> (WatcherHandle, mpsc::Receiver<WatchEvent>) {
        let market = AtelierMarketplace::new(self.client(Duration::from_secs(1)), &self.agent_id);
        let mut config = WatcherConfig::new(self.dir.join("agent"), ledger);
        config.policy = quick();
        config.seed = Some(7);
        let (tx, rx) = mpsc::channel(256);
        let handle = Watcher::spawn(config, market, tx).expect("the watcher starts");
        (handle, rx)
    }

    async fn order(&self, brief: &str) -> String {
        let placed = client_orders(&self.sandbox, &self.service_id, brief).await;
        placed["id"].as_str().expect("an order id").to_owned()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The real policy, with retries after about a second, Check now never held back, and a
/// 429 that names no time waited out in 2 s rather than 15 minutes.
fn quick() -> Policy {
    Policy {
        min_gap: Duration::ZERO,
        backoff_base: Duration::from_secs(1),
        probe_interval: Duration::from_millis(300),
        unknown_rate_limit_wait: Duration::from_secs(2),
        ..Policy::default()
    }
}

fn roomy_ledger() -> SharedLedger {
    SharedLedger::new(CallLedger::in_memory(Budget {
        orders_limit: 1000,
        ..Budget::default()
    }))
}

/// The codes a failed call may end in when the server misbehaves.
const FAULT_CODES: [&str; 5] = [
    "server_error",
    "rate_limited",
    "unexpected_response",
    "network",
    "timeout",
];

fn code_of<T: std::fmt::Debug>(outcome: &Result<T, ApiError>) -> &'static str {
    match outcome {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

// --- The client, one fault at a time -----------------------------------------------------

#[tokio::test]
async fn server_errors_are_server_error() {
    let rig = Rig::open("fault-5xx").await;
    let client = rig.client(Duration::from_secs(5));
    for status in [500, 502, 503, 504, 599] {
        rig.proxy.next(1, Fault::Status(status));
        let outcome = client.orders(&rig.agent_id, &[]).await;
        assert_eq!(code_of(&outcome), "server_error", "{status}: {outcome:?}");
        let message = outcome.unwrap_err().to_string();
        assert!(message.contains(&status.to_string()), "{message}");
    }
    assert!(
        client.orders(&rig.agent_id, &[]).await.is_ok(),
        "then it passes"
    );
}

#[tokio::test]
async fn every_odd_429_is_rate_limited_and_never_asks_for_more_than_two_hours() {
    let rig = Rig::open("fault-429").await;
    let client = rig.client(Duration::from_secs(5));
    let reset_soon = || Some(When::UnixIn(60));
    // (Retry-After, X-RateLimit-Reset, the wait the client must report)
    let cases: Vec<(Option<When>, Option<When>, Option<u64>)> = vec![
        (Some(When::text(ABSURD_RETRY_AFTER)), None, Some(TWO_HOURS)),
        (
            Some(When::text(ABSURD_RETRY_AFTER)),
            Some(When::text(ABSURD_RETRY_AFTER)),
            Some(TWO_HOURS),
        ),
        (
            Some(When::text("99999999999999999999999999999999")),
            reset_soon(),
            Some(TWO_HOURS),
        ),
        (Some(When::text("-5")), None, None),
        (Some(When::text("-5")), reset_soon(), None),
        (Some(When::text("soon")), None, None),
        (Some(When::text("soon")), reset_soon(), None),
        (Some(When::HttpDateIn(-3600)), None, Some(0)),
        (Some(When::HttpDateIn(-3600)), reset_soon(), Some(0)),
        (Some(When::HttpDateIn(600)), None, Some(600)),
        (
            Some(When::HttpDateIn(10 * 365 * 86400)),
            None,
            Some(TWO_HOURS),
        ),
        (None, None, None),
        (None, Some(When::text("-1")), None),
        (None, Some(When::text(ABSURD_RETRY_AFTER)), None),
    ];
    for (retry_after, reset, expected) in cases {
        let label = format!("Retry-After {retry_after:?}, X-RateLimit-Reset {reset:?}");
        rig.proxy
            .next(1, Fault::too_many(retry_after.clone(), reset.clone()));
        let err = client.orders(&rig.agent_id, &[]).await.expect_err(&label);
        assert_eq!(err.code(), "rate_limited", "{label}: {err:?}");
        // A date is measured against the proxy's Date header, both to the second.
        let wait = err.retry_after_secs();
        match expected {
            Some(600) => assert!(matches!(wait, Some(599..=601)), "{label}: {wait:?}"),
            other => assert_eq!(wait, other, "{label}"),
        }
        let ApiError::RateLimited { reset_at, .. } = &err else {
            unreachable!()
        };
        if let Some(reset_at) = reset_at {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            assert!(
                reset_at.unix() <= now + TWO_HOURS as i64 + 1,
                "{label}: a reset {} s away",
                reset_at.unix() - now
            );
        }
        // What the page is told, in words: never "centuries".
        let view = serde_json::to_value(&err).unwrap();
        assert!(
            view["retry_after_secs"]
                .as_u64()
                .is_none_or(|s| s <= TWO_HOURS),
            "{label}: {view}"
        );
    }
}

#[tokio::test]
async fn a_captive_portal_is_an_unexpected_response() {
    let rig = Rig::open("fault-portal").await;
    let client = rig.client(Duration::from_secs(5));
    rig.proxy.always(Pattern::any(), Fault::Garbage);
    assert_eq!(
        code_of(&client.orders(&rig.agent_id, &[]).await),
        "unexpected_response"
    );
    assert_eq!(code_of(&client.profile().await), "unexpected_response");
    assert_eq!(
        code_of(&client.services(&rig.agent_id).await),
        "unexpected_response"
    );
    let delivery = Delivery {
        deliverable_url: "https://storage.example.com/a.png".into(),
        deliverable_media_type: "image".into(),
    };
    assert_eq!(
        code_of(&client.deliver("ord_x", &delivery).await),
        "unexpected_response"
    );
    let anonymous = atelier_tests::client_for(&rig.proxy.base_url());
    assert_eq!(
        code_of(&anonymous.register(&agent_form("Portal")).await),
        "unexpected_response"
    );
}

#[tokio::test]
async fn a_connection_dropped_mid_answer_is_a_network_problem() {
    let rig = Rig::open("fault-drop").await;
    let client = rig.client(Duration::from_secs(5));
    rig.proxy.next(3, Fault::DropMidBody);
    for _ in 0..3 {
        let outcome = client.orders(&rig.agent_id, &[]).await;
        assert!(
            matches!(code_of(&outcome), "network" | "timeout"),
            "{outcome:?}"
        );
    }
    assert!(
        client.orders(&rig.agent_id, &[]).await.is_ok(),
        "then it passes"
    );
}

#[tokio::test]
async fn a_slow_or_trickling_server_is_a_timeout() {
    let rig = Rig::open("fault-slow").await;
    let client = rig.client(Duration::from_secs(1));
    rig.proxy.next(1, Fault::delay(Duration::from_secs(5)));
    let started = Instant::now();
    let outcome = client.orders(&rig.agent_id, &[]).await;
    assert_eq!(code_of(&outcome), "timeout", "{outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // Headers at once, then the body ten bytes every half second.
    rig.proxy.next(
        1,
        Fault::Slow {
            before_headers: Duration::ZERO,
            chunk: 10,
            every: Duration::from_millis(500),
        },
    );
    let started = Instant::now();
    let outcome = client.orders(&rig.agent_id, &[]).await;
    assert_eq!(code_of(&outcome), "timeout", "{outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // A slow answer that still comes in time is just an answer.
    let patient = rig.client(Duration::from_secs(10));
    rig.proxy.next(1, Fault::delay(Duration::from_millis(300)));
    assert!(patient.orders(&rig.agent_id, &[]).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gigabyte_answer_is_refused_promptly_and_mostly_never_sent() {
    let rig = Rig::open("fault-gib").await;
    let client = rig.client(Duration::from_secs(30));
    for declare_length in [true, false] {
        let mark = rig.proxy.mark();
        rig.proxy.next(1, Fault::gib(declare_length));
        let started = Instant::now();
        let outcome = client.orders(&rig.agent_id, &[]).await;
        let took = started.elapsed();
        assert_eq!(
            code_of(&outcome),
            "unexpected_response",
            "length declared: {declare_length}: {outcome:?}"
        );
        // What the proxy made is what the connection took; give it a moment to notice
        // that the client hung up.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let hit = rig.proxy.since(mark).remove(0);
        let sent = hit.body_bytes_sent();
        eprintln!(
            "1 GiB answer, length declared: {declare_length}: refused after {} ms, {:.1} MiB sent",
            took.as_millis(),
            sent as f64 / f64::from(1 << 20)
        );
        assert!(took < Duration::from_secs(15), "{took:?}");
        assert!(
            sent < GIB / 8,
            "the proxy got {sent} bytes out of 1 GiB before the client gave up"
        );
        let message = outcome.unwrap_err().to_string();
        assert!(message.contains("doesn't understand"), "{message}");
    }
    assert!(
        client.orders(&rig.agent_id, &[]).await.is_ok(),
        "then it passes"
    );
}

#[tokio::test]
async fn a_redirect_to_another_origin_never_carries_the_key() {
    let rig = Rig::open("fault-redirect").await;
    let client = rig.client(Duration::from_secs(5));
    let delivery = Delivery {
        deliverable_url: "https://storage.example.com/a.png".into(),
        deliverable_media_type: "image".into(),
    };
    for status in [301, 302, 303, 307, 308] {
        rig.proxy
            .always(Pattern::any(), Fault::RedirectElsewhere { status });
        let outcomes = [
            ("orders", code_of(&client.orders(&rig.agent_id, &[]).await)),
            ("profile", code_of(&client.profile().await)),
            ("services", code_of(&client.services(&rig.agent_id).await)),
            (
                "deliver",
                code_of(&client.deliver("ord_x", &delivery).await),
            ),
            (
                "create_service",
                code_of(
                    &client
                        .create_service(&rig.agent_id, &service_form("Elsewhere", "5"))
                        .await,
                ),
            ),
        ];
        rig.proxy.clear();
        for (call, code) in outcomes {
            assert_eq!(code, "unexpected_response", "{status} on {call}");
        }
    }
    let visits = rig.proxy.elsewhere().visits();
    assert!(
        visits.iter().all(|v| !v.authorized),
        "the other origin saw the key: {visits:#?}"
    );
    assert!(
        rig.proxy.hits().iter().all(|h| h.authorized),
        "every call to the marketplace itself carried the key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeded_random_mix_of_faults_always_ends_in_a_clear_code() {
    let rig = Rig::open("fault-mix").await;
    let client = rig.client(Duration::from_secs(1));
    let mixes = mix();
    for seed in [1u64, 2, 3] {
        rig.proxy.chaos(seed, 60, mixes.clone());
        let mut tally: BTreeMap<(String, &str), u32> = BTreeMap::new();
        for round in 0..24 {
            let mark = rig.proxy.mark();
            let outcome = match round % 3 {
                0 => code_of(&client.orders(&rig.agent_id, &[OrderStatus::Paid]).await),
                1 => code_of(&client.profile().await),
                _ => code_of(&client.services(&rig.agent_id).await),
            };
            let hits = rig.proxy.since(mark);
            let fault = hits.first().map_or("none".into(), |h| h.fault.clone());
            assert!(
                outcome == "ok" || FAULT_CODES.contains(&outcome),
                "seed {seed}, round {round}: {fault} gave {outcome}"
            );
            assert_eq!(
                outcome == "ok",
                fault == "pass",
                "seed {seed}, round {round}: {fault} gave {outcome}; {hits:?}"
            );
            *tally.entry((fault, outcome)).or_default() += 1;
        }
        eprintln!("seed {seed}: {tally:?}");
    }
    assert!(rig.proxy.elsewhere().visits().iter().all(|v| !v.authorized));
}

/// Every fault the mix picks from, each short enough for a one-second client.
fn mix() -> Vec<Fault> {
    vec![
        Fault::Status(500),
        Fault::Status(502),
        Fault::absurd_429(),
        Fault::too_many(Some(When::text("-5")), Some(When::UnixIn(1))),
        Fault::too_many(Some(When::text("soon")), None),
        Fault::too_many(Some(When::HttpDateIn(-60)), None),
        Fault::too_many(Some(When::HttpDateIn(2)), None),
        Fault::delay(Duration::from_millis(1500)),
        Fault::Slow {
            before_headers: Duration::ZERO,
            chunk: 8,
            every: Duration::from_millis(400),
        },
        Fault::DropMidBody,
        Fault::Garbage,
        Fault::gib(true),
        Fault::RedirectElsewhere { status: 302 },
    ]
}

// --- The watcher ---------------------------------------------------------------------

/// The next `Problem` event, skipping others; fails after 15 s.
async fn next_problem(events: &mut mpsc::Receiver<WatchEvent>) -> atelier_core::watcher::Problem {
    wait_for(events, |e| match e {
        WatchEvent::Problem { problem } => Some(problem.clone()),
        _ => None,
    })
    .await
    .0
}

async fn next_event(events: &mut mpsc::Receiver<WatchEvent>) -> WatchEvent {
    tokio::time::timeout(Duration::from_secs(15), events.recv())
        .await
        .expect("the watcher says something within 15 s")
        .expect("the watcher is running")
}

/// Every event until an announcement and the `Checked` that closes its check.
async fn until_announced(events: &mut mpsc::Receiver<WatchEvent>) -> Vec<WatchEvent> {
    let mut seen = Vec::new();
    loop {
        let event = next_event(events).await;
        let checked = matches!(event, WatchEvent::Checked { .. });
        seen.push(event);
        if checked && !announced(&seen).is_empty() {
            return seen;
        }
    }
}

/// Every event until a `Checked` followed by a second of quiet: whatever checks were
/// queued (a retry that came due, Check now) have all happened.
async fn settle(events: &mut mpsc::Receiver<WatchEvent>) -> Vec<WatchEvent> {
    let mut seen = vec![next_event(events).await];
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            Instant::now() < deadline,
            "the watcher never settles: {seen:?}"
        );
        match tokio::time::timeout(Duration::from_secs(1), events.recv()).await {
            Ok(Some(event)) => seen.push(event),
            Ok(None) => panic!("the watcher stopped: {seen:?}"),
            Err(_) if seen.iter().any(|e| matches!(e, WatchEvent::Checked { .. })) => {
                return seen;
            }
            Err(_) => {}
        }
    }
}

fn polls(hits: &[Hit]) -> usize {
    hits.iter()
        .filter(|h| h.is("GET", "/orders?status="))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_rides_out_every_fault_and_then_announces_a_paid_order_once() {
    let rig = Rig::open("fault-watch").await;
    let (watcher, mut events) = rig.watch(roomy_ledger());
    assert_eq!(
        announced(&one_check(&mut events).await),
        Vec::<Vec<String>>::new()
    );

    // (the fault on the next poll, the code the watcher reports)
    let faults = [
        (Fault::Status(500), "server_error"),
        (Fault::Status(503), "server_error"),
        (Fault::Garbage, "unexpected_response"),
        (Fault::DropMidBody, "network"),
        (Fault::delay(Duration::from_secs(3)), "timeout"),
        (Fault::gib(true), "unexpected_response"),
        (Fault::gib(false), "unexpected_response"),
        (
            Fault::RedirectElsewhere { status: 302 },
            "unexpected_response",
        ),
        (
            Fault::too_many(Some(When::text("soon")), Some(When::UnixIn(1))),
            "rate_limited",
        ),
        (
            Fault::too_many(Some(When::text("-5")), None),
            "rate_limited",
        ),
        (
            Fault::too_many(Some(When::HttpDateIn(-3600)), None),
            "rate_limited",
        ),
        (
            Fault::too_many(Some(When::HttpDateIn(2)), Some(When::UnixIn(1))),
            "rate_limited",
        ),
    ];
    // An order paid while the faults go on: the watcher only sees it once they stop.
    let early = rig.order("Paid while the server misbehaved").await;
    for (fault, code) in faults {
        let label = format!("{fault:?}");
        let before = polls(&rig.proxy.hits());
        rig.proxy.times(1, Pattern::watcher_poll(), fault);
        watcher.check_now().await.expect("the watcher is running");
        let problem = next_problem(&mut events).await;
        assert_eq!(problem.code, code, "{label}: {problem:?}");
        assert!(
            problem.retry_after_secs.is_none_or(|s| s <= TWO_HOURS),
            "{label}: {problem:?}"
        );
        assert!(
            polls(&rig.proxy.hits()) > before,
            "{label}: the poll met it"
        );
        let status = watcher.status();
        assert!(
            status.running && !watcher.is_finished(),
            "{label}: {status:?}"
        );
        assert_eq!(status.problem.as_ref(), Some(&problem), "{label}");
    }
    assert_eq!(rig.proxy.uses_left(), 0, "every fault was met");

    // The faults stop: the order paid meanwhile is announced at the next check, once.
    watcher.check_now().await.unwrap();
    let seen = until_announced(&mut events).await;
    assert_eq!(announced(&seen), vec![vec![early]], "{seen:?}");
    let later = rig.order("Paid once the server is well again").await;
    watcher.check_now().await.unwrap();
    let seen = until_announced(&mut events).await;
    assert_eq!(announced(&seen), vec![vec![later]], "{seen:?}");
    watcher.check_now().await.unwrap();
    let seen = settle(&mut events).await;
    assert_eq!(announced(&seen), Vec::<Vec<String>>::new(), "{seen:?}");
    assert!(watcher.status().problem.is_none(), "{:?}", watcher.status());
    assert!(rig.proxy.elsewhere().visits().iter().all(|v| !v.authorized));
    watcher.stop().await;
}

#[tokio::test]
async fn an_absurd_429_makes_the_watcher_wait_two_hours_not_forever() {
    let rig = Rig::open("fault-absurd").await;
    let ledger_file = rig.dir.join("ledger.json");
    std::fs::create_dir_all(&rig.dir).unwrap();
    let open_ledger =
        || SharedLedger::new(CallLedger::open(&ledger_file, Budget::default()).expect("a ledger"));
    rig.proxy
        .times(1, Pattern::watcher_poll(), Fault::absurd_429());
    let (watcher, mut events) = rig.watch(open_ledger());
    let asked = SystemTime::now();
    let problem = next_problem(&mut events).await;
    assert_eq!(problem.code, "rate_limited");
    assert_eq!(problem.retry_after_secs, Some(TWO_HOURS), "{problem:?}");
    let status = watcher.status();
    assert!(status.running, "{status:?}");
    assert_eq!(status.waiting, Waiting::RateLimit, "{status:?}");
    assert_eq!(status.budget_left, 0, "{status:?}");
    let next = status.next_check.expect("a next check").unix();
    let asked_unix = asked
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (asked_unix + TWO_HOURS as i64 - 5..=asked_unix + TWO_HOURS as i64 + 5).contains(&next),
        "next check {} s after the 429",
        next - asked_unix
    );

    // Check now does not cut a 429 short, and nothing else is polled meanwhile.
    let before = polls(&rig.proxy.hits());
    watcher.check_now().await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(polls(&rig.proxy.hits()), before, "{:#?}", rig.proxy.hits());
    assert!(watcher.status().running);
    watcher.stop().await;

    // The wait was saved with the ledger, clamped: a restart keeps it, not centuries.
    let blocked = open_ledger()
        .lock()
        .blocked_at(SystemTime::now())
        .expect("still waiting after a restart");
    let left = blocked
        .duration_since(SystemTime::now())
        .unwrap_or_default()
        .as_secs();
    assert!(
        (TWO_HOURS - 60..=TWO_HOURS).contains(&left),
        "{left} s left"
    );
    let (watcher, _events) = rig.watch(open_ledger());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = watcher.status();
    assert!(status.running, "{status:?}");
    assert_eq!(status.waiting, Waiting::RateLimit, "{status:?}");
    watcher.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_in_a_seeded_storm_of_faults_announces_each_paid_order_exactly_once() {
    let rig = Rig::open("fault-storm").await;
    let (watcher, mut events) = rig.watch(roomy_ledger());
    one_check(&mut events).await;
    // Everything the watcher asks (polls and probes) may meet a fault, except a 429 that
    // would keep it away for two hours.
    let storm: Vec<Fault> = mix()
        .into_iter()
        .filter(|f| *f != Fault::absurd_429())
        .collect();
    rig.proxy.chaos(42, 50, storm);

    let mut placed = Vec::new();
    let mut seen: Vec<WatchEvent> = Vec::new();
    for round in 0..18 {
        if round % 6 == 0 {
            placed.push(rig.order(&format!("Order {round} in the storm")).await);
        }
        watcher.check_now().await.expect("the watcher is running");
        // Whatever comes first: a check, or a problem.
        loop {
            let event = next_event(&mut events).await;
            let done = matches!(
                event,
                WatchEvent::Checked { .. } | WatchEvent::Problem { .. }
            );
            seen.push(event);
            if done {
                break;
            }
        }
        assert!(watcher.status().running, "round {round}");
    }
    // The storm passes; one clean check, then another that must find nothing new.
    rig.proxy.clear();
    watcher.check_now().await.unwrap();
    seen.extend(settle(&mut events).await);
    watcher.check_now().await.unwrap();
    let last = settle(&mut events).await;
    assert_eq!(announced(&last), Vec::<Vec<String>>::new(), "{last:?}");

    let mut announced_ids: Vec<String> = announced(&seen).into_iter().flatten().collect();
    announced_ids.sort();
    placed.sort();
    let problems: Vec<&str> = seen
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Problem { problem } => Some(problem.code.as_str()),
            _ => None,
        })
        .collect();
    eprintln!(
        "storm: {} requests, faults {:?}; problems {problems:?}",
        rig.proxy.hits().len(),
        rig.proxy
            .hits()
            .iter()
            .filter(|h| h.fault != "pass")
            .map(|h| h.fault.clone())
            .collect::<Vec<_>>()
    );
    assert!(!problems.is_empty(), "the storm reached the watcher");
    assert!(
        problems.iter().all(|c| FAULT_CODES.contains(c)),
        "{problems:?}"
    );
    assert_eq!(announced_ids, placed, "each order announced exactly once");
    assert!(rig.proxy.elsewhere().visits().iter().all(|v| !v.authorized));
    watcher.stop().await;
}
