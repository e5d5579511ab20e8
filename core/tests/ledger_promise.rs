//! The rate ledger's one promise, checked against whatever can happen to it: however the
//! app's calls, the server's 429s, the wall clock (set forward or back by hours), restarts
//! and damaged or foreign ledger files follow each other, the server never sees more than
//! 30 limited calls in any hour, the hour being measured on a steady clock as the server
//! measures it.
//!
//! The app is modelled as it runs: it asks the ledger before every limited call (calls it
//! was refused are not sent), notes every 429 with its wait, and looks at the clock at
//! least every 30 s (the watcher's loop does, and keeps the ledger in step with it).
//! Not modelled, because nobody can know of it: the wall clock moved forward while the
//! app is closed. Calls from before a restart are then judged by a clock that lies, and
//! the server's 429 is what stops the app.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use atelier_core::watcher::{Budget, CallKind, CallLedger, Moment};
use proptest::prelude::*;

const HOUR: u64 = 3600;
const LIMIT: usize = 30;

#[derive(Debug, Clone)]
enum Step {
    /// Time passes on the steady clock, in seconds.
    Wait(u64),
    /// The app wants to make a call; if the ledger lets it, the server answers it, with a
    /// 429 asking for this many seconds when `Some`.
    Call(CallKind, Option<u64>),
    /// Several calls in a row, as a burst of deliveries.
    Burst(CallKind, u8),
    /// The wall clock is set forward (or back, when negative) by this many seconds.
    Jump(i64),
    Restart,
    /// The ledger file is damaged (or replaced by one from another version) before a
    /// restart.
    Damage(Damage),
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    Garbage,
    Truncated,
    OtherVersion,
    Empty,
}

fn kind() -> impl Strategy<Value = CallKind> {
    prop_oneof![
        4 => Just(CallKind::OrdersPoll),
        2 => Just(CallKind::Deliver),
        1 => Just(CallKind::DeliveryCheck),
        1 => Just(CallKind::ServiceCreate),
        1 => Just(CallKind::Register),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (1u64..=600).prop_map(Step::Wait),
        1 => (600u64..=3 * HOUR).prop_map(Step::Wait),
        8 => (kind(), prop::option::weighted(0.05, 1u64..=HOUR)).prop_map(|(k, r)| Step::Call(k, r)),
        2 => (kind(), 2u8..=12).prop_map(|(k, n)| Step::Burst(k, n)),
        2 => (-3 * HOUR as i64..=3 * HOUR as i64).prop_map(Step::Jump),
        1 => Just(Step::Restart),
        1 => prop_oneof![
            Just(Damage::Garbage),
            Just(Damage::Truncated),
            Just(Damage::OtherVersion),
            Just(Damage::Empty),
        ]
        .prop_map(Step::Damage),
    ]
}

struct App {
    path: PathBuf,
    ledger: CallLedger,
    /// The steady clock's origin and reading, in seconds.
    origin: Instant,
    steady: u64,
    /// How far the wall clock is off the steady one, in seconds.
    skew: i64,
    /// When each limited call reached the server, on the steady clock.
    server_log: Vec<u64>,
}

impl App {
    fn now(&self) -> Moment {
        let wall_secs = 1_767_225_600i64 + self.steady as i64 + self.skew;
        Moment {
            wall: SystemTime::UNIX_EPOCH + Duration::from_secs(wall_secs as u64),
            mono: Some(self.origin + Duration::from_secs(self.steady)),
        }
    }

    fn reopen(&mut self) {
        self.ledger = CallLedger::open_at(&self.path, Budget::default(), self.now()).unwrap();
    }

    fn call(&mut self, kind: CallKind, too_many: Option<u64>) {
        let now = self.now();
        if self.ledger.try_spend(kind, now).is_err() {
            return;
        }
        self.server_log.push(self.steady);
        if let Some(wait) = too_many {
            self.ledger
                .note_rate_limited(now.later(Duration::from_secs(wait)));
        }
    }

    fn run(&mut self, step: &Step) {
        match step {
            Step::Wait(secs) => {
                // The app looks at the clock at least every 30 s while time passes.
                let mut left = *secs;
                while left > 0 {
                    let tick = left.min(30);
                    self.steady += tick;
                    left -= tick;
                    self.ledger.keep_in_step(self.now());
                }
            }
            Step::Call(kind, too_many) => self.call(*kind, *too_many),
            Step::Burst(kind, n) => {
                for _ in 0..*n {
                    self.call(*kind, None);
                }
            }
            Step::Jump(secs) => {
                self.skew += secs;
                self.ledger.keep_in_step(self.now());
            }
            Step::Restart => self.reopen(),
            Step::Damage(damage) => {
                let text = match damage {
                    Damage::Garbage => "{\"version\": 1, \"calls\": [{\"at_ms\": tr".to_owned(),
                    Damage::Truncated => std::fs::read_to_string(&self.path)
                        .map(|t| t[..t.len() / 2].to_owned())
                        .unwrap_or_default(),
                    Damage::OtherVersion => "{\"version\": 2, \"calls\": []}".to_owned(),
                    Damage::Empty => String::new(),
                };
                std::fs::write(&self.path, text).unwrap();
                self.reopen();
            }
        }
    }
}

/// The most calls the server saw in any hour: [t, t + 3600) from each call's arrival.
fn busiest_hour(log: &[u64]) -> (usize, u64) {
    let mut busiest = (0, 0);
    for (i, &from) in log.iter().enumerate() {
        let n = log[i..].iter().take_while(|&&t| t < from + HOUR).count();
        if n > busiest.0 {
            busiest = (n, from);
        }
    }
    busiest
}

fn scratch() -> PathBuf {
    // Every step saves with fsync; memory-backed where there is such a folder.
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!(
        "atelier-ledger-promise-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_hour_ever_holds_more_than_thirty_limited_calls(
        steps in prop::collection::vec(step(), 1..250)
    ) {
        let dir = scratch();
        let path = dir.join("ledger.json");
        let mut app = App {
            ledger: CallLedger::in_memory(Budget::default()),
            path,
            origin: Instant::now(),
            steady: 0,
            skew: 0,
            server_log: Vec::new(),
        };
        app.reopen();
        for step in &steps {
            app.run(step);
        }
        let (most, from) = busiest_hour(&app.server_log);
        let _ = std::fs::remove_dir_all(&dir);
        prop_assert!(
            most <= LIMIT,
            "{most} calls in the hour from {from} s on the steady clock"
        );
    }
}
