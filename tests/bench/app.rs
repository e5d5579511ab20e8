//! The footprint benchmark (`make bench`, or `bench/app`): not a test, it measures the
//! release build as a creator runs it — no WebDriver, the app's own WebKit settings — side
//! by side with the floor: a bare Tauri v2 app (`bench/bare`) built with the same crates of
//! the design card, the same release profile and the same WebKit setting, whose static page
//! reports its first frame the same way. Both in one run, launches alternating, so whatever
//! the machine is doing weighs on both alike; the headline is the ratios.
//!
//! Inside `scripts/e2e-session`, each launch with a fresh profile (empty data, config and
//! keyring):
//!
//! 1. `BENCH_STARTS` rounds (default 10) of start to ready only: spawn, wait for the line the
//!    app prints when its first screen is painted (the page calls `page_ready` from a timeout
//!    queued inside its first animation frame), quit. Round k launches Atelier Desk first
//!    when k is odd and the bare app first when k is even.
//! 2. `BENCH_RUNS` rounds (default 5), alternating the same way, that also measure memory
//!    after `BENCH_SETTLE_SECONDS` (default 30) of idling — PSS and RSS summed over the app
//!    and every process under it, from /proc/<pid>/smaps_rollup — and CPU while idle for
//!    `BENCH_IDLE_SECONDS` (default 60), as a share of one core. Their start times count too.
//! 3. Atelier Desk must quit cleanly on SIGTERM (exit status 0, no process left within 5 s);
//!    the bare app has no handler, so SIGTERM simply ends it.
//!
//! Plus the sizes of both binaries, .debs and .rpms. Prints min/median/max for each app and
//! the ratio of medians, and writes `target/bench/app.json`.
//!
//!     bench_app <app> <app.deb> <app.rpm> <bare> <bare.deb> <bare.rpm>

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use atelier_tests::desktop::{LaunchedApp, READY_LINE};
use atelier_tests::e2e::TestProfile;
use atelier_tests::procfs::{cpu_of, family, memory, ticks_per_second};
use serde_json::json;

const MIB: f64 = 1024.0 * 1024.0;

/// What the bare app prints when its first frame is painted (bench/bare/src/main.rs).
const BARE_READY_LINE: &str = "Bare Tauri app: window ready";

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Desk,
    Bare,
}

struct Subject {
    which: Which,
    name: &'static str,
    binary: PathBuf,
    deb: PathBuf,
    rpm: PathBuf,
}

impl Subject {
    fn ready_line(&self) -> &'static str {
        match self.which {
            Which::Desk => READY_LINE,
            Which::Bare => BARE_READY_LINE,
        }
    }
}

#[derive(Default)]
struct Launch {
    ready_s: f64,
    /// From the ready line: since `main` began, and the page's share of it.
    app_ms: Option<f64>,
    page_ms: Option<f64>,
    /// Only on full runs.
    pss_mib: Option<f64>,
    rss_mib: Option<f64>,
    processes: Option<usize>,
    cpu_pct: Option<f64>,
}

/// (min, median, max); the median of an even count is the mean of the middle two.
fn spread(mut values: Vec<f64>) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    Some((values[0], median, values[n - 1]))
}

/// One launch; `measure` = Some((settle, idle)) for memory and idle CPU as well.
async fn launch(subject: &Subject, tag: &str, measure: Option<(Duration, Duration)>) -> Launch {
    let profile = TestProfile::named(&format!("bench-{}-{tag}", subject.name)).await;
    let mut app = LaunchedApp::start(&subject.binary, &profile, &[]);
    let launched = Instant::now();
    let (ready, line) = app
        .wait_for_line(subject.ready_line(), Duration::from_secs(60))
        .unwrap_or_else(|| {
            panic!(
                "{}: no window within 60 s\n{}",
                subject.name,
                app.stderr_tail()
            )
        });
    let (app_ms, page_ms) = ready_line_figures(&line);
    let mut result = Launch {
        ready_s: ready.as_secs_f64(),
        app_ms,
        page_ms,
        ..Launch::default()
    };

    if let Some((settle, idle)) = measure {
        tokio::time::sleep(settle.saturating_sub(launched.elapsed())).await;
        let pids = family(app.pid());
        let (mut rss_kb, mut pss_kb) = (0, 0);
        for &pid in &pids {
            let (rss, pss) = memory(pid);
            rss_kb += rss;
            pss_kb += pss;
        }
        let before = cpu_of(&pids);
        let started = Instant::now();
        tokio::time::sleep(idle).await;
        let after = cpu_of(&family(app.pid()));
        let elapsed = started.elapsed().as_secs_f64();
        // Only processes alive at both ends count; one born meanwhile counts from zero.
        let used: u64 = after
            .iter()
            .map(|(key, (_, end))| end - before.get(key).map(|(_, b)| *b).unwrap_or(0))
            .sum();
        result.pss_mib = Some(pss_kb as f64 / 1024.0);
        result.rss_mib = Some(rss_kb as f64 / 1024.0);
        result.processes = Some(pids.len());
        result.cpu_pct = Some(100.0 * used as f64 / ticks_per_second() / elapsed);
    } else {
        // Let WebKit finish starting up, so quitting does not race its processes' birth.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let family_now = app.processes();
    let status = app.quit(Duration::from_secs(10));
    if subject.which == Which::Desk {
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "{tag}: Atelier Desk did not quit cleanly\n{}",
            app.stderr_tail()
        );
        let left = family_now.gone_within(Duration::from_secs(5));
        assert!(
            left.is_empty(),
            "{tag}: processes outlived Atelier Desk by 5 s: {left:?}"
        );
    } else {
        // The bare app dies of SIGTERM; its WebKit processes follow it (or are swept on drop).
        family_now.gone_within(Duration::from_secs(5));
    }
    result
}

/// "… window ready, 612 ms after launch (296 ms of it in the page)" → (612, 296).
fn ready_line_figures(line: &str) -> (Option<f64>, Option<f64>) {
    let number_before = |marker: &str| {
        let end = line.find(marker)?;
        line[..end]
            .split_whitespace()
            .last()?
            .trim_start_matches('(')
            .parse()
            .ok()
    };
    (
        number_before(" ms after launch"),
        number_before(" ms of it in the page"),
    )
}

fn size_mib(path: &Path) -> f64 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .len() as f64
        / MIB
}

fn print_row(
    name: &str,
    unit: &str,
    digits: usize,
    desk: Option<(f64, f64, f64)>,
    bare: Option<(f64, f64, f64)>,
) {
    let cell = |v: Option<(f64, f64, f64)>| match v {
        Some((min, median, max)) => {
            format!("{median:.digits$} {unit} ({min:.digits$}–{max:.digits$})")
        }
        None => "–".to_owned(),
    };
    let ratio = match (desk, bare) {
        (Some((_, d, _)), Some((_, b, _))) if b > 0.0 => format!("**{:.2}×**", d / b),
        _ => "–".to_owned(),
    };
    println!("| {name} | {} | {} | {ratio} |", cell(desk), cell(bare));
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [app, app_deb, app_rpm, bare, bare_deb, bare_rpm] = <[PathBuf; 6]>::try_from(args)
        .unwrap_or_else(|_| {
            eprintln!(
                "usage: bench_app <app> <app.deb> <app.rpm> <bare> <bare.deb> <bare.rpm>   (bench/app runs it)"
            );
            std::process::exit(2);
        });
    let desk = Subject {
        which: Which::Desk,
        name: "desk",
        binary: app,
        deb: app_deb,
        rpm: app_rpm,
    };
    let bare = Subject {
        which: Which::Bare,
        name: "bare",
        binary: bare,
        deb: bare_deb,
        rpm: bare_rpm,
    };
    let starts = env_u64("BENCH_STARTS", 10) as usize;
    let runs = env_u64("BENCH_RUNS", 5) as usize;
    let settle = Duration::from_secs(env_u64("BENCH_SETTLE_SECONDS", 30));
    let idle = Duration::from_secs(env_u64("BENCH_IDLE_SECONDS", 60));
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "bench: {starts} start-only and {runs} full rounds (settle {} s, idle {} s), each launching {} and {}; load {}",
        settle.as_secs(),
        idle.as_secs(),
        desk.binary.display(),
        bare.binary.display(),
        load.trim()
    );

    let mut launches: [Vec<Launch>; 2] = [Vec::new(), Vec::new()];
    for round in 1..=starts + runs {
        let measure = (round > starts).then_some((settle, idle));
        let order = if round % 2 == 1 {
            [&desk, &bare]
        } else {
            [&bare, &desk]
        };
        for subject in order {
            let l = launch(subject, &format!("{round}"), measure).await;
            eprintln!(
                "bench: round {round} {}: ready {:.3} s (app: {:?} ms since main, {:?} ms in the page){}",
                subject.name,
                l.ready_s,
                l.app_ms,
                l.page_ms,
                match (l.pss_mib, l.rss_mib, l.processes, l.cpu_pct) {
                    (Some(pss), Some(rss), Some(n), Some(cpu)) => format!(
                        ", PSS {pss:.1} MiB, RSS {rss:.1} MiB over {n} processes, idle CPU {cpu:.3} %"
                    ),
                    _ => String::new(),
                }
            );
            launches[subject.which as usize].push(l);
        }
    }

    let stat = |which: Which, f: &dyn Fn(&Launch) -> Option<f64>| {
        spread(launches[which as usize].iter().filter_map(f).collect())
    };
    let both = |f: &dyn Fn(&Launch) -> Option<f64>| (stat(Which::Desk, f), stat(Which::Bare, f));
    let fixed = |v: f64| Some((v, v, v));

    println!();
    println!(
        "Atelier Desk beside a bare Tauri v2 app: {} launches each ({starts} start-only + {runs} full rounds, alternating), release builds, under Xvfb",
        starts + runs
    );
    println!();
    println!("| measure | Atelier Desk: median (min–max) | bare Tauri app | ratio of medians |");
    println!("| --- | --- | --- | --- |");
    let (d, b) = both(&|l| Some(l.ready_s * 1000.0));
    print_row("**start to ready**", "ms", 0, d, b);
    let (d, b) = both(&|l| l.app_ms.map(|app| l.ready_s * 1000.0 - app));
    print_row("— exec and loading libraries, before `main`", "ms", 0, d, b);
    let (d, b) = both(&|l| Some(l.app_ms? - l.page_ms?));
    print_row("— `main` until the page starts", "ms", 0, d, b);
    let (d, b) = both(&|l| l.page_ms);
    print_row("— the page, to its first frame", "ms", 0, d, b);
    let (d, b) = both(&|l| l.pss_mib);
    print_row(
        &format!("**PSS after {} s**, all processes", settle.as_secs()),
        "MiB",
        1,
        d,
        b,
    );
    let (d, b) = both(&|l| l.rss_mib);
    print_row(
        &format!("RSS after {} s, all processes", settle.as_secs()),
        "MiB",
        1,
        d,
        b,
    );
    let (d, b) = both(&|l| l.cpu_pct);
    print_row(
        &format!("idle CPU over {} s (% of one core)", idle.as_secs()),
        "%",
        3,
        d,
        b,
    );
    for (name, desk_file, bare_file) in [
        ("**.deb size**", &desk.deb, &bare.deb),
        (".rpm size", &desk.rpm, &bare.rpm),
        ("binary size", &desk.binary, &bare.binary),
    ] {
        print_row(
            name,
            "MiB",
            2,
            fixed(size_mib(desk_file)),
            fixed(size_mib(bare_file)),
        );
    }

    let dir = atelier_tests::e2e::target_dir().join("bench");
    fs::create_dir_all(&dir).unwrap();
    let describe = |s: &Subject| {
        json!({
            "binary": s.binary, "deb": s.deb, "rpm": s.rpm,
            "binary_mib": size_mib(&s.binary), "deb_mib": size_mib(&s.deb), "rpm_mib": size_mib(&s.rpm),
            "launches": launches[s.which as usize].iter().map(|l| json!({
                "ready_s": l.ready_s, "app_ms": l.app_ms, "page_ms": l.page_ms,
                "pss_mib": l.pss_mib, "rss_mib": l.rss_mib, "processes": l.processes,
                "idle_cpu_pct": l.cpu_pct,
            })).collect::<Vec<_>>(),
        })
    };
    let report = json!({
        "load_before": load.trim(), "starts": starts, "runs": runs,
        "settle_s": settle.as_secs(), "idle_s": idle.as_secs(),
        "atelier_desk": describe(&desk), "bare": describe(&bare),
    });
    fs::write(
        dir.join("app.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
    println!("\n(also written to {})", dir.join("app.json").display());
}
