//! A simulated day of the signal-driven watcher (tokio's paused clock) against a fake
//! marketplace that behaves like the real one: creating an order raises its service's
//! `total_orders` (free to read), the client pays seconds to days later or never, some
//! orders are cancelled, price-on-request orders stay `pending_quote`, the app restarts
//! (from its files) and is closed for a while, the network goes away, the server fails,
//! and 429s come on limited and free calls alike.
//!
//! Judged against an oracle from the fake's own record: every paid order announced exactly
//! once and nothing else announced; no rolling hour over 30 limited calls; no rolling
//! minute over 4 free calls; every Retry-After obeyed for its kind of call; paid to
//! announced fast (median well under 15 s); a quiet hour costs few limited calls. Then two
//! servers without the signals: the watcher polls as before.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use atelier_core::error::{ApiError, NetworkProblem};
use atelier_core::models::{Delivery, Order, OrderStatus};
use atelier_core::watcher::{
    Budget, CallLedger, Clock, Marketplace, SharedLedger, TokioClock, WatchEvent, Watcher,
    WatcherConfig, WatcherHandle,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc;

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const LIMIT: usize = 30;
const FREE_PER_MINUTE: usize = 4;
/// The app is closed between these two times.
const CLOSED: (u64, u64) = (8 * HOUR, 8 * HOUR + 40 * MINUTE);
/// Crash-restarts, each reopening the watcher from its files.
const RESTARTS: [u64; 3] = [5 * HOUR, 14 * HOUR, 14 * HOUR + 2 * MINUTE];
/// Network gone, and server failing (5xx on every call).
const OUTAGES: [(u64, u64); 2] = [
    (3 * HOUR, 3 * HOUR + 20 * MINUTE),
    (16 * HOUR, 16 * HOUR + 5 * MINUTE),
];
const FAILING: [(u64, u64); 1] = [(11 * HOUR, 11 * HOUR + 15 * MINUTE)];
/// No new orders, payments or trouble from here: the quiet hour is measured at its end.
const QUIET_FROM: u64 = 21 * HOUR;
const DAY: u64 = 24 * HOUR;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Limited: any listing (nothing is delivered in these days).
    Listing,
    /// Free.
    Counts,
    Page,
    Probe,
}

impl Kind {
    fn limited(self) -> bool {
        matches!(self, Kind::Listing)
    }
}

#[derive(Debug, Clone, Copy)]
struct Call {
    at: SystemTime,
    kind: Kind,
    /// A 429 and its Retry-After.
    refused_for: Option<u64>,
}

struct World {
    start: SystemTime,
    rng: StdRng,
    /// Service id, price on request, total_orders.
    services: Vec<(String, bool, u64)>,
    orders: Vec<Order>,
    paid_at: HashMap<String, SystemTime>,
    calls: Vec<Call>,
    /// The server's fixed-window limiter for limited calls.
    window: Option<(SystemTime, u32)>,
    /// Services report no count (an older server).
    no_counts: bool,
    /// The order page answers this status instead (403/405 on another server).
    page_refused: Option<u16>,
    /// How often a call meets a 429 out of the blue.
    random_429: f64,
}

impl World {
    fn new(start: SystemTime, seed: u64) -> World {
        World {
            start,
            rng: StdRng::seed_from_u64(seed),
            services: vec![
                ("svc_fixed".into(), false, 0),
                ("svc_quote".into(), true, 0),
            ],
            orders: Vec::new(),
            paid_at: HashMap::new(),
            calls: Vec::new(),
            window: None,
            no_counts: false,
            page_refused: None,
            random_429: 0.001,
        }
    }

    fn secs(&self, t: SystemTime) -> u64 {
        t.duration_since(self.start).unwrap_or_default().as_secs()
    }

    fn within(&self, t: SystemTime, spans: &[(u64, u64)]) -> bool {
        let s = self.secs(t);
        spans.iter().any(|(a, b)| (*a..*b).contains(&s))
    }

    fn create(&mut self, now: SystemTime, quote: bool) -> String {
        let id = format!("ord_{:03}", self.orders.len());
        let service = usize::from(quote);
        self.services[service].2 += 1;
        self.orders.push(Order {
            id: id.clone(),
            service_id: self.services[service].0.clone(),
            service_title: None,
            client_wallet: None,
            brief: "Something nice".into(),
            status: if quote {
                OrderStatus::PendingQuote
            } else {
                OrderStatus::Quoted
            },
            quoted_price_usd: None,
            platform_fee_usd: None,
            created_at: Some(time::OffsetDateTime::from(now).into()),
            deliverable_url: None,
            deliverable_media_type: None,
            delivered_at: None,
            review_deadline: None,
            completed_at: None,
            payout_tx_hash: None,
        });
        id
    }

    fn set(&mut self, id: &str, status: OrderStatus, now: SystemTime) {
        if let Some(o) = self.orders.iter_mut().find(|o| o.id == id) {
            if o.status == OrderStatus::Quoted {
                if status == OrderStatus::Paid {
                    self.paid_at.insert(id.to_owned(), now);
                }
                o.status = status;
            }
        }
    }

    /// Every call arrives here first: logged, then maybe refused.
    fn arrive(&mut self, kind: Kind, now: SystemTime) -> Result<(), ApiError> {
        let mut refused_for = None;
        let result = if self.within(now, &OUTAGES) {
            Err(ApiError::Network(NetworkProblem::Offline))
        } else if self.within(now, &FAILING) {
            Err(ApiError::Server { status: 503 })
        } else if self.secs(now) < QUIET_FROM && self.rng.random::<f64>() < self.random_429 {
            let secs = self.rng.random_range(20..=300);
            refused_for = Some(secs);
            Err(ApiError::RateLimited {
                retry_after_secs: Some(secs),
                reset_at: None,
            })
        } else if kind.limited() {
            let hour = Duration::from_secs(HOUR);
            match &mut self.window {
                Some((start, count)) if now < *start + hour => {
                    if *count as usize >= LIMIT {
                        let left = (*start + hour).duration_since(now).unwrap_or_default();
                        let secs = left.as_secs().max(1);
                        refused_for = Some(secs);
                        Err(ApiError::RateLimited {
                            retry_after_secs: Some(secs),
                            reset_at: None,
                        })
                    } else {
                        *count += 1;
                        Ok(())
                    }
                }
                _ => {
                    self.window = Some((now, 1));
                    Ok(())
                }
            }
        } else {
            Ok(())
        };
        self.calls.push(Call {
            at: now,
            kind,
            refused_for,
        });
        result
    }
}

#[derive(Clone)]
struct Fake {
    world: Arc<Mutex<World>>,
    clock: TokioClock,
}

impl Fake {
    async fn call<T>(
        &self,
        kind: Kind,
        answer: impl FnOnce(&mut World) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let now = self.clock.now();
        let result = {
            let mut w = self.world.lock().unwrap();
            w.arrive(kind, now).and_then(|()| answer(&mut w))
        };
        tokio::time::sleep(Duration::from_millis(150)).await;
        result
    }
}

impl Marketplace for Fake {
    async fn payable_orders(&self) -> Result<Vec<Order>, ApiError> {
        self.call(Kind::Listing, |w| {
            Ok(w.orders
                .iter()
                .filter(|o| o.status.is_payable())
                .cloned()
                .collect())
        })
        .await
    }
    async fn all_orders(&self) -> Result<Vec<Order>, ApiError> {
        self.call(Kind::Listing, |w| Ok(w.orders.clone())).await
    }
    async fn open_orders(&self) -> Result<Vec<Order>, ApiError> {
        self.call(Kind::Listing, |w| {
            Ok(w.orders
                .iter()
                .filter(|o| !matches!(o.status, OrderStatus::Cancelled | OrderStatus::Delivered))
                .cloned()
                .collect())
        })
        .await
    }
    async fn probe(&self) -> Result<(), ApiError> {
        self.call(Kind::Probe, |_| Ok(())).await
    }
    async fn deliver(&self, _: &str, _: &Delivery) -> Result<Order, ApiError> {
        unreachable!("nothing is delivered in this day")
    }
    async fn order_counts(&self) -> Result<Vec<(String, Option<u64>)>, ApiError> {
        self.call(Kind::Counts, |w| {
            let no_counts = w.no_counts;
            Ok(w.services
                .iter()
                .map(|(id, _, n)| (id.clone(), (!no_counts).then_some(*n)))
                .collect())
        })
        .await
    }
    async fn order(&self, order_id: &str) -> Result<Order, ApiError> {
        let id = order_id.to_owned();
        self.call(Kind::Page, move |w| match w.page_refused {
            Some(403) => Err(ApiError::Forbidden {
                server_message: "Not authorized to view this order".into(),
            }),
            Some(status) => Err(ApiError::UnexpectedResponse {
                status,
                detail: "no such route".into(),
            }),
            None => w
                .orders
                .iter()
                .find(|o| o.id == id)
                .cloned()
                .ok_or(ApiError::NotFound {
                    server_message: "Order not found".into(),
                }),
        })
        .await
    }
}

fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "atelier-watcher-signals-{name}-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn start_watcher(
    dir: &Path,
    fake: &Fake,
    clock: TokioClock,
    events: &mpsc::Sender<WatchEvent>,
    seed: u64,
) -> WatcherHandle {
    let ledger = CallLedger::open(&dir.join("ledger.json"), Budget::default()).unwrap();
    let mut config = WatcherConfig::new(dir.join("agent"), SharedLedger::new(ledger));
    config.seed = Some(seed);
    Watcher::spawn_with_clock(config, fake.clone(), clock, events.clone()).unwrap()
}

enum Step {
    Create { quote: bool },
    Pay(String),
    Cancel(String),
    Close,
    Open,
    Restart(u64),
    End,
}

/// Runs the day's script; returns when each order was announced (and how often).
async fn run_day(
    world: Arc<Mutex<World>>,
    clock: TokioClock,
    dir: &Path,
    mut script: BTreeMap<SystemTime, Vec<Step>>,
    fate_seed: u64,
    fates_until: u64,
) -> HashMap<String, Vec<SystemTime>> {
    let fake = Fake {
        world: world.clone(),
        clock,
    };
    let mut fates = StdRng::seed_from_u64(fate_seed);
    let (tx, mut rx) = mpsc::channel::<WatchEvent>(256);
    let mut handle = Some(start_watcher(dir, &fake, clock, &tx, 1));
    let mut announced: HashMap<String, Vec<SystemTime>> = HashMap::new();
    let mut note = |event: WatchEvent, at: SystemTime| {
        if let WatchEvent::NewOrders { orders } = event {
            for o in orders {
                announced.entry(o.id).or_default().push(at);
            }
        }
    };
    while let Some((&next, _)) = script.first_key_value() {
        tokio::select! {
            Some(event) = rx.recv() => note(event, clock.now()),
            () = clock.sleep_until(next) => {
                let Some((_, due)) = script.pop_first() else { break };
                for step in due {
                    let now = clock.now();
                    match step {
                        Step::Create { quote } => {
                            let id = world.lock().unwrap().create(now, quote);
                            if quote {
                                continue;
                            }
                            // The client's fate: most pay within seconds (the web checkout
                            // sends the transfer first, then creates and pays), some within
                            // minutes, a few within days; some cancel, some never pay.
                            let roll: f64 = fates.random();
                            let (after, step) = if roll < 0.6 {
                                (fates.random_range(2..=30), Step::Pay(id))
                            } else if roll < 0.72 {
                                (fates.random_range(60..=30 * MINUTE), Step::Pay(id))
                            } else if roll < 0.8 {
                                (fates.random_range(HOUR..=60 * HOUR), Step::Pay(id))
                            } else if roll < 0.9 {
                                (fates.random_range(30..=3 * HOUR), Step::Cancel(id))
                            } else {
                                continue;
                            };
                            let at = now + Duration::from_secs(after);
                            if at < clock_at(&world, fates_until) {
                                script.entry(at).or_default().push(step);
                            }
                        }
                        Step::Pay(id) => world.lock().unwrap().set(&id, OrderStatus::Paid, now),
                        Step::Cancel(id) => world.lock().unwrap().set(&id, OrderStatus::Cancelled, now),
                        Step::Close => {
                            if let Some(h) = handle.take() {
                                h.stop().await;
                            }
                        }
                        Step::Open => handle = Some(start_watcher(dir, &fake, clock, &tx, 2)),
                        Step::Restart(seed) => {
                            if let Some(h) = handle.take() {
                                h.stop().await;
                            }
                            handle = Some(start_watcher(dir, &fake, clock, &tx, seed));
                        }
                        Step::End => {
                            if let Some(h) = handle.take() {
                                h.stop().await;
                            }
                        }
                    }
                }
            }
        }
    }
    while let Ok(event) = rx.try_recv() {
        note(event, clock.now());
    }
    announced
}

fn clock_at(world: &Arc<Mutex<World>>, secs: u64) -> SystemTime {
    world.lock().unwrap().start + Duration::from_secs(secs)
}

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

/// No rolling hour over 30 limited calls; no rolling minute over 4 free ones; every 429
/// obeyed for its kind (limited calls all together; each free call by itself).
fn judge_calls(w: &World) {
    let hour = Duration::from_secs(HOUR);
    let minute = Duration::from_secs(MINUTE);
    let limited: Vec<&Call> = w.calls.iter().filter(|c| c.kind.limited()).collect();
    for (i, first) in limited.iter().enumerate() {
        let n = limited[i..]
            .iter()
            .take_while(|c| c.at < first.at + hour)
            .count();
        assert!(
            n <= LIMIT,
            "{n} limited calls in the hour from {}s",
            w.secs(first.at)
        );
    }
    let free: Vec<&Call> = w.calls.iter().filter(|c| !c.kind.limited()).collect();
    for (i, first) in free.iter().enumerate() {
        let n = free[i..]
            .iter()
            .take_while(|c| c.at < first.at + minute)
            .count();
        assert!(
            n <= FREE_PER_MINUTE,
            "{n} free calls in the minute from {}s",
            w.secs(first.at)
        );
    }
    for refused in w.calls.iter().filter(|c| c.refused_for.is_some()) {
        let until = refused.at + Duration::from_secs(refused.refused_for.unwrap_or_default());
        let same_kind = |c: &Call| {
            if refused.kind.limited() {
                c.kind.limited()
            } else {
                c.kind == refused.kind
            }
        };
        let early = w
            .calls
            .iter()
            .find(|c| c.at > refused.at && c.at < until && same_kind(c));
        assert!(
            early.is_none(),
            "a {:?} at {}s ignored the 429 to a {:?} at {}s",
            early.map(|c| c.kind),
            w.secs(early.map_or(refused.at, |c| c.at)),
            refused.kind,
            w.secs(refused.at)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn every_paid_order_is_announced_once_within_seconds_on_few_limited_calls() {
    let clock = TokioClock::starting_at(t0());
    let at = |secs: u64| t0() + Duration::from_secs(secs);
    let world = Arc::new(Mutex::new(World::new(t0(), 20_261_201)));
    let mut rng = StdRng::seed_from_u64(13);
    let mut script: BTreeMap<SystemTime, Vec<Step>> = BTreeMap::new();
    for _ in 0..70 {
        let t = rng.random_range(60..QUIET_FROM - HOUR);
        let quote = rng.random::<f64>() < 0.1;
        script
            .entry(at(t))
            .or_default()
            .push(Step::Create { quote });
    }
    // A burst, and orders placed and paid while the app is closed.
    for _ in 0..3 {
        script
            .entry(at(7 * HOUR))
            .or_default()
            .push(Step::Create { quote: false });
        script
            .entry(at(CLOSED.0 + 10 * MINUTE))
            .or_default()
            .push(Step::Create { quote: false });
    }
    script.entry(at(CLOSED.0)).or_default().push(Step::Close);
    script.entry(at(CLOSED.1)).or_default().push(Step::Open);
    for (k, t) in RESTARTS.into_iter().enumerate() {
        script
            .entry(at(t))
            .or_default()
            .push(Step::Restart(10 + k as u64));
    }
    script.entry(at(DAY)).or_default().push(Step::End);

    let dir = data_dir("day");
    let wall = std::time::Instant::now();
    let announced = run_day(world.clone(), clock, &dir, script, 99, QUIET_FROM).await;
    let elapsed = wall.elapsed();
    let w = world.lock().unwrap();

    // Every paid order once; nothing that was never paid.
    for order in &w.orders {
        let times = announced.get(&order.id).map_or(0, Vec::len);
        if w.paid_at.contains_key(&order.id) {
            assert_eq!(times, 1, "{} (paid) announced {times} times", order.id);
        } else {
            assert_eq!(times, 0, "{} ({}) announced", order.id, order.status);
        }
    }

    // Paid to announced, for payments while the app was open.
    let mut latencies: Vec<Duration> = w
        .paid_at
        .iter()
        .filter(|(_, paid)| !w.within(**paid, &[(CLOSED.0, CLOSED.1)]))
        .filter_map(|(id, paid)| {
            let told = announced.get(id)?.first()?;
            Some(told.duration_since(*paid).unwrap_or_default())
        })
        .collect();
    // Those paid within a minute of ordering: the web checkout's usual case.
    let mut quick: Vec<Duration> = w
        .paid_at
        .iter()
        .filter(|(_, paid)| !w.within(**paid, &[(CLOSED.0, CLOSED.1)]))
        .filter_map(|(id, paid)| {
            let order = w.orders.iter().find(|o| &o.id == id)?;
            let created = SystemTime::from(order.created_at?.as_offset());
            let told = announced.get(id)?.first()?;
            (paid.duration_since(created).unwrap_or_default() <= Duration::from_secs(60))
                .then(|| told.duration_since(*paid).unwrap_or_default())
        })
        .collect();
    quick.sort();
    let quick_median = quick[quick.len() / 2];
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let p95 = latencies[latencies.len() * 95 / 100];

    let limited = |from: u64, to: u64| {
        w.calls
            .iter()
            .filter(|c| c.kind.limited() && c.at >= at(from) && c.at < at(to))
            .count()
    };
    let free = |from: u64, to: u64| {
        w.calls
            .iter()
            .filter(|c| !c.kind.limited() && c.at >= at(from) && c.at < at(to))
            .count()
    };
    eprintln!(
        "simulated a day in {elapsed:?}: {} orders, {} paid, {} announced; paid→announced median {median:?} (paid within a minute of ordering: {quick_median:?}), p95 {p95:?}, max {:?}; {} limited calls, {} free; quiet hour: {} limited, {} free; 429s: {}",
        w.orders.len(),
        w.paid_at.len(),
        announced.len(),
        latencies.last().copied().unwrap_or_default(),
        w.calls.iter().filter(|c| c.kind.limited()).count(),
        w.calls.iter().filter(|c| !c.kind.limited()).count(),
        limited(DAY - HOUR, DAY),
        free(DAY - HOUR, DAY),
        w.calls.iter().filter(|c| c.refused_for.is_some()).count(),
    );
    judge_calls(&w);
    assert!(
        w.paid_at.len() >= 30,
        "only {} orders were paid",
        w.paid_at.len()
    );
    assert!(median < Duration::from_secs(15), "median {median:?}");
    assert!(
        quick_median <= Duration::from_secs(10),
        "median of quick payments {quick_median:?}"
    );
    // The slowest: a payment long after ordering, caught by the safety net's listing, or
    // held up by an outage or a 429.
    let slowest = latencies.last().copied().unwrap_or_default();
    assert!(
        slowest <= Duration::from_secs(30 * MINUTE),
        "slowest {slowest:?}"
    );
    assert!(
        limited(DAY - HOUR, DAY) <= 6,
        "a quiet hour took {} limited calls",
        limited(DAY - HOUR, DAY)
    );
    assert!(
        limited(0, DAY) < 24 * 24 / 2,
        "no cheaper than polling: {}",
        limited(0, DAY)
    );
    // The day really had what it is said to have.
    assert!(w
        .calls
        .iter()
        .any(|c| c.refused_for.is_some() && !c.kind.limited()));
    assert!(w
        .calls
        .iter()
        .any(|c| c.refused_for.is_some() && c.kind.limited()));
    assert!(w.calls.iter().any(|c| c.kind == Kind::Page));
    assert!(w.orders.iter().any(|o| o.status == OrderStatus::Cancelled));
    assert!(w
        .orders
        .iter()
        .any(|o| o.status == OrderStatus::PendingQuote));
    assert!(
        elapsed < Duration::from_secs(60),
        "the simulation took {elapsed:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A day on a server that cannot give one of the signals: polling as before, about every
/// 150 s, and every paid order still announced once.
async fn without_signals(world: World, name: &str) {
    let clock = TokioClock::starting_at(t0());
    let at = |secs: u64| t0() + Duration::from_secs(secs);
    let world = Arc::new(Mutex::new(world));
    let mut script: BTreeMap<SystemTime, Vec<Step>> = BTreeMap::new();
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..12 {
        let t = rng.random_range(60..5 * HOUR);
        script
            .entry(at(t))
            .or_default()
            .push(Step::Create { quote: false });
    }
    script.entry(at(6 * HOUR)).or_default().push(Step::End);
    let dir = data_dir(name);
    let announced = run_day(
        world.clone(),
        clock,
        &dir,
        script,
        7,
        5 * HOUR + 30 * MINUTE,
    )
    .await;
    let w = world.lock().unwrap();
    for order in &w.orders {
        let times = announced.get(&order.id).map_or(0, Vec::len);
        let paid = w.paid_at.contains_key(&order.id);
        assert_eq!(
            times,
            usize::from(paid),
            "{} announced {times} times",
            order.id
        );
    }
    judge_calls(&w);
    // Polling: 24 an hour at most, and more than the safety net's few.
    let listings = |from: u64, to: u64| {
        w.calls
            .iter()
            .filter(|c| c.kind == Kind::Listing && c.at >= at(from) && c.at < at(to))
            .count()
    };
    if w.no_counts {
        for h in 1..5 {
            let n = listings(h * HOUR, (h + 1) * HOUR);
            assert!((18..=24).contains(&n), "{name}: {n} listings in hour {h}");
        }
    } else {
        // The counts still work: after each refused page, the listing is back to polling.
        let refusals: Vec<SystemTime> = w
            .calls
            .iter()
            .filter(|c| c.kind == Kind::Page)
            .map(|c| c.at)
            .collect();
        assert!(!refusals.is_empty());
        for refused in refusals {
            let next = w
                .calls
                .iter()
                .find(|c| c.kind == Kind::Listing && c.at > refused)
                .map(|c| c.at);
            if let Some(next) = next {
                let gap = next.duration_since(refused).unwrap_or_default();
                assert!(
                    gap <= Duration::from_secs(170),
                    "{name}: listed {gap:?} after a refused page"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(start_paused = true)]
async fn services_without_order_counts_mean_polling_as_before() {
    let mut world = World::new(t0(), 3);
    world.no_counts = true;
    world.random_429 = 0.0;
    without_signals(world, "no-counts").await;
}

#[tokio::test(start_paused = true)]
async fn an_order_page_refused_with_403_or_405_means_polling_as_before() {
    for status in [403, 405] {
        let mut world = World::new(t0(), 4);
        world.page_refused = Some(status);
        world.random_429 = 0.0;
        without_signals(world, &format!("page-{status}")).await;
    }
}
