//! Twenty-four simulated hours of the order watcher against a fake marketplace that
//! misbehaves the way the real one can: outages, slow spells that time out, bursts of 5xx,
//! 429s from its fixed-window limiter when another client on the same IP spends the shared
//! budget, 429s out of the blue, and deliveries that land although the client never hears
//! back. Paid orders arrive at random (seeded) times, one restart happens mid-day, and a
//! simulated creator delivers every order it is told about.
//!
//! Everything is judged from the fake's own record of the calls it received, not through
//! the watcher's ledger: the point is to check the ledger, not to trust it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use atelier_core::error::{ApiError, NetworkProblem};
use atelier_core::models::{Delivery, Order, OrderStatus};
use atelier_core::watcher::{
    backoff_bounds, Budget, CallLedger, Clock, Marketplace, Policy, SharedLedger, TokioClock,
    WatchEvent, Watcher, WatcherConfig, WatcherHandle,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc;

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
/// The server's limit and the rule under test: no rolling hour holds more than this.
const LIMIT: usize = 30;
/// Polls stop here: 30 minus the 6 slots kept for deliveries.
const POLL_CAP: usize = 24;
/// The app is closed between these two times.
const STOP_AT: u64 = 12 * HOUR;
const START_AT: u64 = 12 * HOUR + 40 * MINUTE;
/// Later, after an hour of regular polling, it crashes and is restarted once a minute for
/// ten minutes (each start wants to check at once).
const CRASH_LOOP_FROM: u64 = 14 * HOUR;
/// After this the marketplace behaves, so the day can end with everything settled.
const CALM_FROM: u64 = 22 * HOUR;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Poll,
    AllOrders,
    Deliver,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    RateLimited { retry_after: u64, genuine: bool },
    ServerError,
    Timeout,
    Offline,
    Refused,
}

impl Outcome {
    fn failed(self) -> bool {
        matches!(
            self,
            Outcome::ServerError | Outcome::Timeout | Outcome::Offline
        )
    }
}

#[derive(Debug, Clone)]
struct Call {
    at: SystemTime,
    end: SystemTime,
    kind: Kind,
    outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    Outage,
    ServerErrors,
    Slow,
}

/// Scheduled trouble, in seconds from the start of the day.
const INCIDENTS: [(u64, u64, Trouble); 7] = [
    (3 * HOUR, 4 * HOUR + 10 * MINUTE, Trouble::Outage),
    (6 * HOUR, 6 * HOUR + 40 * MINUTE, Trouble::ServerErrors),
    (9 * HOUR, 9 * HOUR + 25 * MINUTE, Trouble::Slow),
    (15 * HOUR, 15 * HOUR + 5 * MINUTE, Trouble::Outage),
    (
        17 * HOUR + 30 * MINUTE,
        18 * HOUR + 30 * MINUTE,
        Trouble::ServerErrors,
    ),
    (20 * HOUR, 20 * HOUR + 10 * MINUTE, Trouble::Slow),
    (21 * HOUR, 21 * HOUR + 45 * MINUTE, Trouble::Outage),
];

/// Another client behind the same IP spends part of the shared budget.
const FOREIGN_TRAFFIC: [(u64, u32); 2] = [(10 * HOUR, 20), (19 * HOUR, 15)];

struct World {
    start: SystemTime,
    orders: Vec<Order>,
    calls: Vec<Call>,
    /// When each probe started and ended.
    probes: Vec<(SystemTime, SystemTime)>,
    /// The server's limiter: one fixed window from the first counted request.
    window: Option<(SystemTime, u32)>,
    rng: StdRng,
    /// Orders whose delivery was forced to lose its answer already.
    forced: Vec<String>,
    delivered_orders: u32,
    /// Deliveries that reached the server for an order already delivered.
    repeated_deliveries: u32,
    landed_without_answer: u32,
    lost_before_landing: u32,
}

impl World {
    fn secs(&self, t: SystemTime) -> u64 {
        t.duration_since(self.start).unwrap_or_default().as_secs()
    }

    fn trouble(&self, t: SystemTime) -> Option<Trouble> {
        let s = self.secs(t);
        INCIDENTS
            .iter()
            .find(|(from, to, _)| (*from..*to).contains(&s))
            .map(|(_, _, what)| *what)
    }

    /// The real server's limiter: counts a request it lets through, refuses (uncounted)
    /// once the window's count reached the limit.
    fn limiter(&mut self, now: SystemTime, n: u32) -> Option<u64> {
        let hour = Duration::from_secs(HOUR);
        match &mut self.window {
            Some((start, count)) if now <= *start + hour => {
                if *count as usize >= LIMIT {
                    let left = (*start + hour).duration_since(now).unwrap_or_default();
                    return Some(left.as_millis().div_ceil(1000).max(1) as u64);
                }
                *count += n;
            }
            _ => self.window = Some((now, n)),
        }
        None
    }

    fn place_order(&mut self, now: SystemTime) -> String {
        let id = format!("ord_{:03}", self.orders.len());
        self.orders.push(Order {
            id: id.clone(),
            service_id: "svc_sim".into(),
            service_title: Some("Neon avatar".into()),
            client_wallet: None,
            brief: "A neon avatar with three variations".into(),
            status: OrderStatus::Paid,
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
}

enum Answer {
    Orders(Vec<Order>),
    Order(Box<Order>),
}

#[derive(Clone)]
struct SimMarket {
    world: Arc<Mutex<World>>,
    clock: TokioClock,
}

impl SimMarket {
    /// Decides a limited call's fate the moment it arrives, then lets its answer take
    /// as long as it would.
    async fn limited(&self, kind: Kind, deliver: Option<&str>) -> Result<Answer, ApiError> {
        let now = self.clock.now();
        let (outcome, latency, answer) = {
            let mut w = self.world.lock().unwrap();
            let trouble = w.trouble(now);
            let calm = w.secs(now) >= CALM_FROM;
            let roll: f64 = w.rng.random();
            let landed_roll: f64 = w.rng.random();
            let refused = if trouble == Some(Trouble::Outage) {
                Some((Outcome::Offline, Duration::from_millis(50)))
            } else if !calm && roll < 0.015 {
                let retry_after = w.rng.random_range(60..=1200);
                let outcome = Outcome::RateLimited {
                    retry_after,
                    genuine: false,
                };
                Some((outcome, Duration::from_millis(100)))
            } else {
                w.limiter(now, 1).map(|retry_after| {
                    let outcome = Outcome::RateLimited {
                        retry_after,
                        genuine: true,
                    };
                    (outcome, Duration::from_millis(100))
                })
            };
            // Forced cases, so the day always exercises both kinds of lost answer: the
            // first delivery of the 4th order to reach the server lands unheard, the
            // 6th's is lost on the way.
            let forced = match deliver {
                Some(id) if refused.is_none() && !w.forced.iter().any(|f| f == id) => {
                    let landed = match id {
                        "ord_003" => Some(true),
                        "ord_005" => Some(false),
                        _ => None,
                    };
                    if landed.is_some() {
                        w.forced.push(id.to_owned());
                    }
                    landed
                }
                _ => None,
            };
            let (outcome, latency) = if let Some(refused) = refused {
                refused
            } else if forced.is_some() || trouble == Some(Trouble::Slow) || (!calm && roll > 0.98) {
                (Outcome::Timeout, Duration::from_secs(30))
            } else if trouble == Some(Trouble::ServerErrors) || (!calm && roll > 0.95) {
                (Outcome::ServerError, Duration::from_millis(200))
            } else {
                (Outcome::Ok, Duration::from_millis(200))
            };
            // A delivery that times out or fails on the server may still have been done.
            let applies = match outcome {
                Outcome::Ok => true,
                Outcome::Timeout => forced.unwrap_or(landed_roll < 0.5),
                Outcome::ServerError => landed_roll < 0.3,
                _ => false,
            };
            let mut outcome = outcome;
            let answer = match kind {
                Kind::Poll => Answer::Orders(
                    w.orders
                        .iter()
                        .filter(|o| o.status.is_payable())
                        .cloned()
                        .collect(),
                ),
                Kind::AllOrders => Answer::Orders(w.orders.clone()),
                Kind::Deliver => {
                    let id = deliver.unwrap_or_default();
                    let index = w.orders.iter().position(|o| o.id == id);
                    match index {
                        Some(i) if applies && w.orders[i].status.is_payable() => {
                            w.orders[i].status = OrderStatus::Delivered;
                            w.delivered_orders += 1;
                            if outcome != Outcome::Ok {
                                w.landed_without_answer += 1;
                            }
                            Answer::Order(Box::new(w.orders[i].clone()))
                        }
                        Some(i) if applies => {
                            w.repeated_deliveries += 1;
                            outcome = Outcome::Refused;
                            Answer::Order(Box::new(w.orders[i].clone()))
                        }
                        _ => {
                            if outcome.failed() && outcome != Outcome::Offline {
                                w.lost_before_landing += 1;
                            }
                            Answer::Orders(Vec::new())
                        }
                    }
                }
            };
            w.calls.push(Call {
                at: now,
                end: now + latency,
                kind,
                outcome,
            });
            (outcome, latency, answer)
        };
        tokio::time::sleep(latency).await;
        match outcome {
            Outcome::Ok => Ok(answer),
            Outcome::RateLimited { retry_after, .. } => Err(ApiError::RateLimited {
                retry_after_secs: Some(retry_after),
                reset_at: None,
            }),
            Outcome::ServerError => Err(ApiError::Server { status: 503 }),
            Outcome::Timeout => Err(ApiError::Network(NetworkProblem::Timeout)),
            Outcome::Offline => Err(ApiError::Network(NetworkProblem::Offline)),
            Outcome::Refused => Err(ApiError::Rejected {
                field: None,
                message: "Cannot deliver order with status \"delivered\".".into(),
            }),
        }
    }
}

impl Marketplace for SimMarket {
    async fn payable_orders(&self) -> Result<Vec<Order>, ApiError> {
        match self.limited(Kind::Poll, None).await? {
            Answer::Orders(orders) => Ok(orders),
            Answer::Order(_) => unreachable!("a poll lists orders"),
        }
    }

    async fn all_orders(&self) -> Result<Vec<Order>, ApiError> {
        match self.limited(Kind::AllOrders, None).await? {
            Answer::Orders(orders) => Ok(orders),
            Answer::Order(_) => unreachable!("a re-read lists orders"),
        }
    }

    async fn probe(&self) -> Result<(), ApiError> {
        let now = self.clock.now();
        let (latency, answer) = {
            let mut w = self.world.lock().unwrap();
            let (latency, answer) = match w.trouble(now) {
                Some(Trouble::Outage) => (
                    Duration::from_millis(50),
                    Err(ApiError::Network(NetworkProblem::Offline)),
                ),
                Some(Trouble::Slow) => (
                    Duration::from_secs(30),
                    Err(ApiError::Network(NetworkProblem::Timeout)),
                ),
                _ => (Duration::from_millis(100), Ok(())),
            };
            w.probes.push((now, now + latency));
            (latency, answer)
        };
        tokio::time::sleep(latency).await;
        answer
    }

    async fn deliver(&self, order_id: &str, _delivery: &Delivery) -> Result<Order, ApiError> {
        match self.limited(Kind::Deliver, Some(order_id)).await? {
            Answer::Order(order) => Ok(*order),
            Answer::Orders(_) => unreachable!("a delivery answers with its order"),
        }
    }
}

enum Script {
    PlaceOrder,
    Foreign(u32),
    Deliver(String),
    Stop,
    Start,
    Restart(u64),
    End,
}

/// Every moment a watcher stopped.
fn stops() -> Vec<u64> {
    let mut stops = vec![STOP_AT];
    stops.extend((0..10).map(|k| CRASH_LOOP_FROM + k * MINUTE));
    stops
}

fn data_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "atelier-watcher-sim-{}-{:?}",
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
    market: &SimMarket,
    clock: TokioClock,
    events: &mpsc::Sender<WatchEvent>,
    seed: u64,
) -> WatcherHandle {
    // Opened from disk each time: calls made before the restart must still count.
    let ledger = CallLedger::open(&dir.join("ledger.json"), Budget::default()).unwrap();
    let mut config = WatcherConfig::new(dir.join("agent"), SharedLedger::new(ledger));
    config.seed = Some(seed);
    Watcher::spawn_with_clock(config, market.clone(), clock, events.clone()).unwrap()
}

/// What the creator saw.
#[derive(Default)]
struct Seen {
    announced: HashMap<String, u32>,
    summaries: usize,
    delivered: HashMap<String, u32>,
    failed: Vec<String>,
    checks: u32,
    problems: u32,
}

#[tokio::test(start_paused = true)]
async fn the_watcher_keeps_the_budget_and_announces_every_order_once_through_a_bad_day() {
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let clock = TokioClock::starting_at(t0);
    let at = |secs: u64| t0 + Duration::from_secs(secs);
    let world = Arc::new(Mutex::new(World {
        start: t0,
        orders: Vec::new(),
        calls: Vec::new(),
        probes: Vec::new(),
        window: None,
        rng: StdRng::seed_from_u64(20_260_101),
        forced: Vec::new(),
        delivered_orders: 0,
        repeated_deliveries: 0,
        landed_without_answer: 0,
        lost_before_landing: 0,
    }));
    let market = SimMarket {
        world: world.clone(),
        clock,
    };
    let mut rng = StdRng::seed_from_u64(7);

    let mut script: BTreeMap<SystemTime, Vec<Script>> = BTreeMap::new();
    let add = |script: &mut BTreeMap<SystemTime, Vec<Script>>, t: SystemTime, s: Script| {
        script.entry(t).or_default().push(s);
    };
    for _ in 0..45 {
        let t = rng.random_range(0..CALM_FROM);
        add(&mut script, at(t), Script::PlaceOrder);
    }
    // Bursts: three at once while running, three while the app is closed.
    for t in [7 * HOUR, 12 * HOUR + 10 * MINUTE] {
        for _ in 0..3 {
            add(&mut script, at(t), Script::PlaceOrder);
        }
    }
    for (t, n) in FOREIGN_TRAFFIC {
        add(&mut script, at(t), Script::Foreign(n));
    }
    add(&mut script, at(STOP_AT), Script::Stop);
    add(&mut script, at(START_AT), Script::Start);
    for (k, t) in stops().into_iter().skip(1).enumerate() {
        add(&mut script, at(t), Script::Restart(10 + k as u64));
    }
    add(&mut script, at(DAY), Script::End);

    let dir = data_dir();
    let (tx, mut rx) = mpsc::channel::<WatchEvent>(256);
    let mut handle = Some(start_watcher(&dir, &market, clock, &tx, 1));
    let mut seen = Seen::default();
    let mut deliveries_asked = 0u32;
    let mut waiting_at_restart = 0;
    let wall = std::time::Instant::now();

    while let Some((&next, _)) = script.first_key_value() {
        tokio::select! {
            Some(event) = rx.recv() => {
                record(&mut seen, event, |order_id| {
                    // The creator delivers 2 minutes to 3 hours after hearing of an order,
                    // and everything by 23:00.
                    let now = clock.now();
                    let later = (now + Duration::from_secs(rng.random_range(2 * MINUTE..=3 * HOUR)))
                        .min(at(23 * HOUR).max(now + Duration::from_secs(2 * MINUTE)));
                    add(&mut script, later, Script::Deliver(order_id));
                });
            }
            () = clock.sleep_until(next) => {
                let Some((_, due)) = script.pop_first() else { break };
                for step in due {
                    match step {
                        Script::PlaceOrder => {
                            world.lock().unwrap().place_order(clock.now());
                        }
                        Script::Foreign(n) => {
                            let now = clock.now();
                            world.lock().unwrap().limiter(now, n);
                        }
                        Script::Deliver(order_id) => match &handle {
                            Some(h) => {
                                deliveries_asked += 1;
                                let delivery = Delivery {
                                    deliverable_url: format!("https://cdn.example.com/{order_id}.png"),
                                    deliverable_media_type: "image".into(),
                                };
                                h.deliver(order_id, delivery).await.unwrap();
                            }
                            // The app is closed: the creator does it once it is back.
                            None => add(&mut script, at(START_AT + 30 * MINUTE), Script::Deliver(order_id)),
                        },
                        Script::Stop => {
                            if let Some(h) = handle.take() {
                                h.stop().await;
                            }
                        }
                        Script::Start => {
                            // Announced before closing and still waiting: must not be announced again.
                            let w = world.lock().unwrap();
                            waiting_at_restart = w
                                .orders
                                .iter()
                                .filter(|o| o.status.is_payable() && seen.announced.contains_key(&o.id))
                                .count();
                            drop(w);
                            handle = Some(start_watcher(&dir, &market, clock, &tx, 2));
                        }
                        Script::Restart(seed) => {
                            if let Some(h) = handle.take() {
                                h.stop().await;
                            }
                            handle = Some(start_watcher(&dir, &market, clock, &tx, seed));
                        }
                        Script::End => {
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
        record(&mut seen, event, |_| {});
    }
    let elapsed = wall.elapsed();

    let w = world.lock().unwrap();
    let calls = &w.calls;
    let polls: Vec<&Call> = calls.iter().filter(|c| c.kind == Kind::Poll).collect();
    let limit_429: Vec<&Call> = calls
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::RateLimited { .. }))
        .collect();
    eprintln!(
        "simulated a day in {elapsed:?}: {} limited calls ({} polls, {} re-reads, {} deliveries), {} probes, {} 429s ({} from the limiter), {} failed polls, {} orders, {} announcements in {} events, {} deliveries landed unheard, {} lost on the way",
        calls.len(),
        polls.len(),
        calls.iter().filter(|c| c.kind == Kind::AllOrders).count(),
        calls.iter().filter(|c| c.kind == Kind::Deliver).count(),
        w.probes.len(),
        limit_429.len(),
        limit_429.iter().filter(|c| matches!(c.outcome, Outcome::RateLimited { genuine: true, .. })).count(),
        polls.iter().filter(|c| c.outcome.failed()).count(),
        w.orders.len(),
        seen.announced.len(),
        seen.summaries,
        w.landed_without_answer,
        w.lost_before_landing,
    );

    // 1. No rolling hour holds more than 30 limited calls, 429s and failures included.
    let hour = Duration::from_secs(HOUR);
    for (i, first) in calls.iter().enumerate() {
        let in_hour = calls[i..]
            .iter()
            .take_while(|c| c.at < first.at + hour)
            .count();
        assert!(
            in_hour <= LIMIT,
            "{in_hour} limited calls in the hour from {}s",
            w.secs(first.at)
        );
    }

    // ... and a poll never takes one of the last slots, kept for deliveries.
    for poll in &polls {
        let before = calls
            .iter()
            .filter(|c| c.at < poll.at && c.at + hour > poll.at)
            .count();
        assert!(
            before < POLL_CAP,
            "polled at {}s with {before} calls in the hour before",
            w.secs(poll.at)
        );
    }

    // 2. Every Retry-After was obeyed: nothing limited until it ran out.
    for refused in &limit_429 {
        let Outcome::RateLimited { retry_after, .. } = refused.outcome else {
            unreachable!()
        };
        let until = refused.at + Duration::from_secs(retry_after);
        let early = calls.iter().find(|c| c.at > refused.at && c.at < until);
        assert!(
            early.is_none(),
            "a call at {}s ignored the 429 at {}s (Retry-After {retry_after})",
            w.secs(early.map_or(refused.at, |c| c.at)),
            w.secs(refused.at)
        );
    }

    // 3. Backoff after a failed poll: never sooner than its minimum; never later than the
    // cap, unless a 429 or the budget held the poll back (then as soon as they allow).
    let policy = Policy::default();
    let (least, most) = backoff_bounds(&policy);
    let budget = Budget::default();
    let slack = policy.min_gap + Duration::from_secs(2);
    let across_restart =
        |a: SystemTime, b: SystemTime| stops().into_iter().any(|s| a < at(s) && b >= at(s));
    // The latest moment a poll wanted at `t` may happen, allowing for 429s, the budget,
    // and a call (or probe) still in flight: the watcher does one thing at a time.
    let busy: Vec<(SystemTime, SystemTime)> = calls
        .iter()
        .map(|c| (c.at, c.end))
        .chain(w.probes.iter().copied())
        .collect();
    let deadline = |t: SystemTime| -> SystemTime {
        let mut t = t;
        loop {
            let before = t;
            for (from, to) in &busy {
                if *from <= t && *to > t {
                    t = *to;
                }
            }
            for r in &limit_429 {
                if let Outcome::RateLimited { retry_after, .. } = r.outcome {
                    let end = r.end + Duration::from_secs(retry_after);
                    if r.at <= t && end > t {
                        t = end;
                    }
                }
            }
            let counting = calls
                .iter()
                .filter(|c| c.at <= t && c.at + budget.window > t)
                .count();
            if counting >= POLL_CAP {
                // Wait for the oldest counting call to expire.
                if let Some(oldest) = calls.iter().find(|c| c.at + budget.window > t) {
                    t = oldest.at + budget.window;
                }
            }
            if t == before {
                return t;
            }
        }
    };
    let mut backoffs = 0;
    for pair in polls.windows(2) {
        let (failed, next) = (pair[0], pair[1]);
        if !failed.outcome.failed() || across_restart(failed.at, next.at) {
            continue;
        }
        backoffs += 1;
        let gap = next.at.duration_since(failed.end).unwrap_or_default();
        assert!(
            gap >= least,
            "retried {gap:?} after a failed poll at {}s",
            w.secs(failed.at)
        );
        let replanned = calls.iter().any(|c| {
            c.kind == Kind::AllOrders
                && c.outcome == Outcome::Ok
                && c.at > failed.at
                && c.at < next.at
        });
        if !replanned {
            let latest = deadline(failed.end + most) + slack;
            assert!(
                next.at <= latest,
                "waited {gap:?} after a failed poll at {}s",
                w.secs(failed.at)
            );
        }
    }
    assert!(backoffs > 10, "only {backoffs} backoffs happened");

    // ... and once the network is back after an outage, checking resumes within a probe
    // interval instead of sitting out the rest of its backoff.
    let mut outages_resumed = 0;
    for (from, to, what) in INCIDENTS {
        let failed_inside = polls
            .iter()
            .any(|c| c.outcome == Outcome::Offline && c.at >= at(from) && c.at < at(to));
        if what != Trouble::Outage || !failed_inside {
            continue;
        }
        // A re-read of all orders (for a delivery) is a check too: it announces as well.
        let resumed = calls
            .iter()
            .find(|c| c.kind != Kind::Deliver && c.at >= at(to))
            .map(|c| c.at);
        let latest = deadline(at(to) + policy.probe_interval) + slack;
        assert!(
            resumed.is_some_and(|r| r <= latest),
            "the outage ended at {to}s but checking resumed at {:?}s",
            resumed.map(|r| w.secs(r))
        );
        outages_resumed += 1;
    }
    assert!(outages_resumed >= 2);

    // 4. Between successes the regular interval holds (150 s ± 10 %), budget permitting.
    for pair in polls.windows(2) {
        let (ok, next) = (pair[0], pair[1]);
        if ok.outcome != Outcome::Ok || across_restart(ok.at, next.at) {
            continue;
        }
        let gap = next.at.duration_since(ok.at).unwrap_or_default();
        assert!(
            gap >= Duration::from_secs(135),
            "polled again after {gap:?} at {}s",
            w.secs(ok.at)
        );
        let checked_between = calls
            .iter()
            .any(|c| c.kind == Kind::AllOrders && c.at > ok.at && c.at < next.at);
        if !checked_between {
            let latest = deadline(ok.at + Duration::from_secs(165)) + slack;
            assert!(
                next.at <= latest,
                "polled only after {gap:?} at {}s",
                w.secs(ok.at)
            );
        }
    }

    // 5. Every paid order was announced, exactly once, restart included; bursts as one event.
    for order in &w.orders {
        assert_eq!(
            seen.announced.get(&order.id).copied(),
            Some(1),
            "{} announced that many times",
            order.id
        );
    }
    assert_eq!(seen.announced.len(), w.orders.len());
    assert!(
        seen.summaries < seen.announced.len(),
        "bursts came as one event each"
    );

    // 6. Every delivery went through once: none sent again after it had landed.
    assert_eq!(w.repeated_deliveries, 0);
    assert!(
        seen.failed.is_empty(),
        "deliveries failed: {:?}",
        seen.failed
    );
    assert_eq!(deliveries_asked as usize, w.orders.len());
    assert_eq!(w.delivered_orders as usize, w.orders.len());
    assert!(seen.delivered.values().all(|n| *n == 1));
    assert_eq!(seen.delivered.len(), w.orders.len());
    assert!(seen.checks > 0 && seen.problems > 0);

    // The day really was that bad (a test of rules that never came into play proves nothing).
    assert!(limit_429
        .iter()
        .any(|c| matches!(c.outcome, Outcome::RateLimited { genuine: true, .. })));
    assert!(limit_429
        .iter()
        .any(|c| matches!(c.outcome, Outcome::RateLimited { genuine: false, .. })));
    for outcome in [Outcome::Offline, Outcome::Timeout, Outcome::ServerError] {
        assert!(
            polls.iter().any(|c| c.outcome == outcome),
            "no poll met {outcome:?}"
        );
    }
    assert!(w.landed_without_answer >= 1 && w.lost_before_landing >= 1);
    assert!(calls.iter().any(|c| c.kind == Kind::AllOrders));
    assert!(!w.probes.is_empty());
    assert!(
        waiting_at_restart > 0,
        "no announced order was still waiting at the restart"
    );

    // About a second on an idle machine, most of it syncing files; room for a busy CI.
    assert!(
        elapsed < Duration::from_secs(30),
        "the simulation took {elapsed:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn record(seen: &mut Seen, event: WatchEvent, mut deliver_later: impl FnMut(String)) {
    match event {
        WatchEvent::NewOrders { orders } => {
            seen.summaries += 1;
            for order in orders {
                *seen.announced.entry(order.id.clone()).or_default() += 1;
                deliver_later(order.id);
            }
        }
        WatchEvent::Delivered { order } => *seen.delivered.entry(order.id).or_default() += 1,
        WatchEvent::DeliveryFailed { order_id, problem } => {
            seen.failed.push(format!("{order_id}: {}", problem.message))
        }
        WatchEvent::Checked { .. } => seen.checks += 1,
        WatchEvent::Problem { .. } | WatchEvent::DeliveryRetrying { .. } => seen.problems += 1,
        _ => {}
    }
}
