//! The footprint benchmark (`make bench`, or `bench/app`): not a test, it measures the
//! release build as a creator runs it — no WebDriver, the app's own WebKit settings.
//!
//! Inside `scripts/e2e-session`, `BENCH_RUNS` times (default 5), each with a fresh profile:
//!
//! 1. start to ready: from spawning the binary until it prints that its window painted the
//!    first screen (the page calls `page_ready` after its first frame);
//! 2. memory after `BENCH_SETTLE_SECONDS` (default 30) of idling: PSS and RSS summed over
//!    the app and every process under it, from /proc/<pid>/smaps_rollup;
//! 3. CPU while idle for `BENCH_IDLE_SECONDS` (default 60): utime+stime of the same
//!    processes, as a share of one core;
//! 4. a clean quit (SIGTERM, exit status 0, no process left).
//!
//! Plus the sizes of the binary and the .deb. Prints min/median/max against the budgets
//! of issue #5 and writes `target/bench/app.json`.
//!
//!     bench_app <binary> <deb>

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use atelier_tests::desktop::{LaunchedApp, READY_LINE};
use atelier_tests::e2e::TestProfile;
use atelier_tests::procfs::{cpu_of, family, memory, ticks_per_second};
use serde_json::json;

const MIB: f64 = 1024.0 * 1024.0;

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Run {
    ready_s: f64,
    /// From the app's own ready line: since `main` began, and the page's share of it.
    app_ms: Option<f64>,
    page_ms: Option<f64>,
    pss_mib: f64,
    rss_mib: f64,
    processes: usize,
    cpu_pct: f64,
}

/// (min, median, max); the median of an even count is the mean of the middle two.
fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (values[0], median, values[n - 1])
}

async fn one_run(binary: &Path, index: usize, settle: Duration, idle: Duration) -> Run {
    let profile = TestProfile::named(&format!("bench-app-{index}")).await;
    let mut app = LaunchedApp::start(binary, &profile, &[]);
    let launched = Instant::now();
    let (ready, line) = app
        .wait_for_line(READY_LINE, Duration::from_secs(60))
        .unwrap_or_else(|| panic!("no window within 60 s\n{}", app.stderr_tail()));
    let (app_ms, page_ms) = ready_line_figures(&line);

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
    let cpu_pct = 100.0 * used as f64 / ticks_per_second() / elapsed;

    let family_now = app.processes();
    let status = app.quit(Duration::from_secs(10));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "run {index}: the app did not quit cleanly\n{}",
        app.stderr_tail()
    );
    let left = family_now.gone_within(Duration::from_secs(5));
    assert!(
        left.is_empty(),
        "run {index}: processes outlived the app by 5 s: {left:?}"
    );
    Run {
        ready_s: ready.as_secs_f64(),
        app_ms,
        page_ms,
        pss_mib: pss_kb as f64 / 1024.0,
        rss_mib: rss_kb as f64 / 1024.0,
        processes: pids.len(),
        cpu_pct,
    }
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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(binary), Some(deb)) = (args.next(), args.next()) else {
        eprintln!("usage: bench_app <binary> <deb>   (bench/app runs it)");
        std::process::exit(2);
    };
    let runs = env_u64("BENCH_RUNS", 5).max(1) as usize;
    let settle = Duration::from_secs(env_u64("BENCH_SETTLE_SECONDS", 30));
    let idle = Duration::from_secs(env_u64("BENCH_IDLE_SECONDS", 60));
    let binary_mib = fs::metadata(&binary).expect("the binary").len() as f64 / MIB;
    let deb_mib = fs::metadata(&deb).expect("the .deb").len() as f64 / MIB;
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "bench: {runs} runs of {} (settle {} s, idle {} s); load {}",
        binary.display(),
        settle.as_secs(),
        idle.as_secs(),
        load.trim()
    );

    let mut all = Vec::new();
    for index in 1..=runs {
        let run = one_run(&binary, index, settle, idle).await;
        eprintln!(
            "bench: run {index}: ready {:.3} s (app: {:?} ms since main, {:?} ms in the page), PSS {:.1} MiB, RSS {:.1} MiB over {} processes, idle CPU {:.3} %",
            run.ready_s, run.app_ms, run.page_ms, run.pss_mib, run.rss_mib, run.processes, run.cpu_pct
        );
        all.push(run);
    }

    let ready = spread(all.iter().map(|r| r.ready_s).collect());
    let part = |f: fn(&Run) -> Option<f64>| {
        let values: Vec<f64> = all.iter().filter_map(f).collect();
        (!values.is_empty()).then(|| spread(values))
    };
    let before_main = part(|r| r.app_ms.map(|app| r.ready_s * 1000.0 - app));
    let native = part(|r| Some(r.app_ms? - r.page_ms?));
    let page = part(|r| r.page_ms);
    let pss = spread(all.iter().map(|r| r.pss_mib).collect());
    let rss = spread(all.iter().map(|r| r.rss_mib).collect());
    let cpu = spread(all.iter().map(|r| r.cpu_pct).collect());
    let verdict = |ok: bool| if ok { "within" } else { "OVER" };

    println!();
    println!("Atelier Desk footprint, {runs} runs, release build, under Xvfb");
    println!();
    println!("| measure | min | median | max | budget | |");
    println!("| --- | --- | --- | --- | --- | --- |");
    println!(
        "| .deb size | {deb_mib:.2} MiB | {deb_mib:.2} MiB | {deb_mib:.2} MiB | ≤ 4.5 MiB | {} |",
        verdict(deb_mib <= 4.5)
    );
    println!(
        "| binary size | {binary_mib:.2} MiB | {binary_mib:.2} MiB | {binary_mib:.2} MiB | – | |"
    );
    println!(
        "| start to ready | {:.3} s | {:.3} s | {:.3} s | ≤ 0.6 s median | {} |",
        ready.0,
        ready.1,
        ready.2,
        verdict(ready.1 <= 0.6)
    );
    for (name, figures) in [
        ("— exec and loading libraries, before `main`", before_main),
        (
            "— `main` until the page starts (GTK, plugins, window, WebKit processes)",
            native,
        ),
        ("— the page: modules, first calls, first frame", page),
    ] {
        if let Some((min, median, max)) = figures {
            println!("| {name} | {min:.0} ms | {median:.0} ms | {max:.0} ms | | |");
        }
    }
    println!(
        "| PSS after {} s, all processes | {:.1} MiB | {:.1} MiB | {:.1} MiB | ≤ 250 MiB | {} |",
        settle.as_secs(),
        pss.0,
        pss.1,
        pss.2,
        verdict(pss.2 <= 250.0)
    );
    println!(
        "| RSS after {} s, all processes | {:.1} MiB | {:.1} MiB | {:.1} MiB | – | |",
        settle.as_secs(),
        rss.0,
        rss.1,
        rss.2
    );
    println!(
        "| idle CPU over {} s | {:.3} % | {:.3} % | {:.3} % | < 0.5 % of one core | {} |",
        idle.as_secs(),
        cpu.0,
        cpu.1,
        cpu.2,
        verdict(cpu.2 < 0.5)
    );

    let dir = atelier_tests::e2e::target_dir().join("bench");
    fs::create_dir_all(&dir).unwrap();
    let report = json!({
        "binary": binary, "deb": deb, "load_before": load.trim(),
        "deb_mib": deb_mib, "binary_mib": binary_mib,
        "settle_s": settle.as_secs(), "idle_s": idle.as_secs(),
        "runs": all.iter().map(|r| json!({
            "ready_s": r.ready_s, "app_ms": r.app_ms, "page_ms": r.page_ms, "pss_mib": r.pss_mib, "rss_mib": r.rss_mib,
            "processes": r.processes, "idle_cpu_pct": r.cpu_pct,
        })).collect::<Vec<_>>(),
    });
    fs::write(
        dir.join("app.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
    println!("\n(also written to {})", dir.join("app.json").display());
}
