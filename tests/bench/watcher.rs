//! The watcher benchmark (`make bench`, or `bench/watcher`): not a test, it measures.
//!
//! Inside `scripts/e2e-session`, with the real app under tauri-driver (the release build
//! `bench/watcher` packages, or the binary `ATELIER_APP_BINARY` names):
//!
//! 1. sets up a Practice-mode account with one service (through the app's own commands),
//!    restarts the app so it starts signed in and watching;
//! 2. idle: CPU time (utime+stime) of the app and all its descendants (WebKit's web and
//!    network processes) over `BENCH_SECONDS` (default 600) of watching, the limited calls
//!    the app recorded in its ledger in that time, and RSS/PSS at the end;
//! 3. latency: `BENCH_SAMPLES` (default 20) orders placed at random moments straight on
//!    the practice marketplace (not through Simulate, which asks for a check at once), in
//!    the client's two steps: created (`quoted`), paid 3–8 s later; each timed from the
//!    payment until the D-Bus `Notify` call; p50 and p95;
//! 4. a deterministic model of the old polling's latency (uniform arrival in a 150 s ± 10 %
//!    cycle), for comparison; the calls per idle hour, free and limited, as the practice
//!    marketplace counted them (`GET /sandbox/traffic`).
//!
//! Prints a table and writes `target/bench/watcher.json`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use atelier_tests::e2e::{self, AppUnderTest, NotificationSpy, TestProfile, READY};
use atelier_tests::procfs::{cpu_of, family, memory, stat, ticks_per_second};
use serde_json::{json, Value};

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Calls one of the app's commands from the page, as the UI does.
async fn invoke(app: &AppUnderTest, command: &str, args: Value) -> Value {
    let script = r#"
        const [command, args, done] = arguments;
        window.__TAURI__.core.invoke(command, args)
          .then(ok => done({ ok }), err => done({ err }));
    "#;
    let answer = app
        .client()
        .execute_async(script, vec![json!(command), args])
        .await
        .unwrap_or_else(|e| panic!("invoking {command}: {e}"));
    match answer.get("ok") {
        Some(ok) => ok.clone(),
        None => panic!("{command} failed: {answer}"),
    }
}

/// The practice marketplace's count of the requests it answered, by route
/// (`GET /sandbox/traffic` on whichever of the app's ports answers it).
async fn traffic(http: &reqwest::Client, ports: &[u16]) -> std::collections::BTreeMap<String, u64> {
    for port in ports {
        let url = format!("http://127.0.0.1:{port}/api/atelier/sandbox/traffic");
        let Ok(answer) = http.get(&url).send().await else {
            continue;
        };
        let Ok(body) = answer.json::<Value>().await else {
            continue;
        };
        if let Some(requests) = body["data"]["requests"].as_object() {
            return requests
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                .collect();
        }
    }
    panic!("no port of the app answered GET /sandbox/traffic: {ports:?}");
}

/// TCP ports `pid` listens on (IPv4 and IPv6), from its socket inodes.
fn listening_ports(pid: u32) -> Vec<u16> {
    let inodes: Vec<String> = fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| fs::read_link(e.path()).ok())
                .filter_map(|l| {
                    let l = l.to_string_lossy().into_owned();
                    l.strip_prefix("socket:[")?
                        .strip_suffix(']')
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut ports = Vec::new();
    for table in ["tcp", "tcp6"] {
        let text = fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 9 && f[3] == "0A" && inodes.iter().any(|i| i == f[9]) {
                if let Some(port) = f[1]
                    .rsplit(':')
                    .next()
                    .and_then(|h| u16::from_str_radix(h, 16).ok())
                {
                    ports.push(port);
                }
            }
        }
    }
    ports
}

// ---------------------------------------------------------------- ledger

/// (at_ms, kind) of every call in the app's practice ledger.
fn ledger_calls(path: &Path) -> Vec<(u64, String)> {
    let Ok(text) = fs::read_to_string(path) else {
        return Vec::new();
    };
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    v["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["at_ms"].as_u64()?, c["kind"].as_str()?.to_owned())))
        .collect()
}

// ---------------------------------------------------------------- the model

/// Time from paid to the next poll when orders arrive uniformly at random and polls come
/// every L seconds, L uniform in [135, 165]: an arrival falls in a cycle with probability
/// proportional to L and then waits uniform [0, L]. Computed on a fine grid, no randomness.
/// Returns (mean, median, p95, max) in seconds.
fn model() -> (f64, f64, f64, f64) {
    let (lo, hi, steps) = (135.0_f64, 165.0_f64, 3000);
    let ls: Vec<f64> = (0..steps)
        .map(|i| lo + (hi - lo) * (i as f64 + 0.5) / steps as f64)
        .collect();
    let mean_l: f64 = ls.iter().sum::<f64>() / steps as f64;
    // P(wait > t) = E[(L - t)+] / E[L]
    let survival =
        |t: f64| ls.iter().map(|l| (l - t).max(0.0)).sum::<f64>() / steps as f64 / mean_l;
    let quantile = |q: f64| {
        let (mut a, mut b) = (0.0, hi);
        for _ in 0..60 {
            let m = (a + b) / 2.0;
            if 1.0 - survival(m) < q {
                a = m
            } else {
                b = m
            }
        }
        (a + b) / 2.0
    };
    let mean = ls.iter().map(|l| l * l).sum::<f64>() / steps as f64 / (2.0 * mean_l);
    (mean, quantile(0.5), quantile(0.95), hi)
}

// ---------------------------------------------------------------- main

#[tokio::main]
async fn main() {
    let seconds = env_u64("BENCH_SECONDS", 600);
    let samples = env_u64("BENCH_SAMPLES", 20);
    let settle = env_u64("BENCH_SETTLE_SECONDS", 30);
    let ticks = ticks_per_second();
    let load_before = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!("bench: idle {seconds} s, {samples} latency samples; load {load_before}");

    // 1. A practice account with one service.
    let profile = TestProfile::named("bench-watcher").await;
    let spy = NotificationSpy::start(&profile).await;
    let app = AppUnderTest::launch(&profile).await;
    app.wait_for(READY).await;
    invoke(&app, "choose_mode", json!({"mode": "practice"})).await;
    invoke(
        &app,
        "register",
        json!({"form": {
        "name": "Bench Studio", "description": "Benchmarking the order watcher",
        "endpoint_url": "https://bench.example.com", "capabilities": ["image_gen"]}}),
    )
    .await;
    let service = invoke(
        &app,
        "create_service",
        json!({"form": {
        "category": "image_gen", "title": "Bench avatar pack",
        "description": "Three avatar variations in your style",
        "price_usd": "5", "price_type": "fixed", "turnaround_hours": "24",
        "deliverables": ["3 avatars"], "demo_url": ""}}),
    )
    .await;
    let service_id = service["id"].as_str().expect("a service id").to_owned();

    // Start afresh, signed in: the watcher starts with the app, as for a creator.
    let restart_ms = now_ms();
    let app = app.restart().await;
    app.wait_for(READY).await;
    let status = invoke(&app, "watch_status", json!({})).await;
    eprintln!("bench: watch status after restart: {status}");
    let binary = fs::canonicalize(e2e::app_binary()).unwrap();
    let app_pid = app
        .processes()
        .still_running()
        .into_iter()
        .find(|p| fs::read_link(format!("/proc/{p}/exe")).ok().as_deref() == Some(binary.as_path()))
        .expect("the app's process");
    let ledger = profile.data_dir().join("watch/practice/ledger.json");

    // 2. Idle.
    tokio::time::sleep(Duration::from_secs(settle)).await;
    let ports = listening_ports(app_pid);
    let http = reqwest::Client::new();
    let traffic_before = traffic(&http, &ports).await;
    let start_cpu = cpu_of(&family(app_pid));
    let start_at = Instant::now();
    let start_ms = now_ms();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let end_pids = family(app_pid);
    let end_cpu = cpu_of(&end_pids);
    let traffic_after = traffic(&http, &ports).await;
    let elapsed = start_at.elapsed().as_secs_f64();
    let end_ms = now_ms();
    let drivers: Vec<u32> = app
        .processes()
        .still_running()
        .into_iter()
        .filter(|p| !end_pids.contains(p))
        .collect();
    let mut per_process = Vec::new();
    let mut total_ticks = 0u64;
    for (key, (name, end)) in &end_cpu {
        let begin = start_cpu.get(key).map(|(_, c)| *c).unwrap_or(0);
        let used = end - begin;
        total_ticks += used;
        let (rss, pss) = memory(key.0);
        per_process.push(
            json!({"pid": key.0, "name": name, "cpu_s": used as f64 / ticks,
            "cpu_pct": 100.0 * used as f64 / ticks / elapsed, "rss_kb": rss, "pss_kb": pss}),
        );
    }
    let gone: Vec<String> = start_cpu
        .iter()
        .filter(|(k, _)| !end_cpu.contains_key(k))
        .map(|(_, (n, _))| n.clone())
        .collect();
    let cpu_s = total_ticks as f64 / ticks;
    let cpu_pct = 100.0 * cpu_s / elapsed;
    let rss: u64 = per_process
        .iter()
        .map(|p| p["rss_kb"].as_u64().unwrap())
        .sum();
    let pss: u64 = per_process
        .iter()
        .map(|p| p["pss_kb"].as_u64().unwrap())
        .sum();
    let drivers_cpu: f64 = drivers
        .iter()
        .filter_map(|&p| stat(p))
        .map(|s| s.cpu_ticks as f64 / ticks)
        .sum();
    let calls = ledger_calls(&ledger);
    let idle_calls: Vec<&(u64, String)> = calls
        .iter()
        .filter(|(at, _)| *at >= start_ms && *at < end_ms)
        .collect();
    let calls_per_hour = idle_calls.len() as f64 * 3600.0 / elapsed;
    let idle_polls = idle_calls
        .iter()
        .filter(|(_, k)| k == "orders_poll")
        .count();

    // The practice marketplace's own count of the requests it answered in the window.
    let served: Vec<(String, u64)> = traffic_after
        .iter()
        .map(|(route, n)| {
            (
                route.clone(),
                n - traffic_before.get(route).copied().unwrap_or(0),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let free_routes = [
        "GET /agents/me",
        "GET /agents/{id}/services",
        "GET /orders/{id}",
    ];
    let limited_routes = [
        "GET /agents/{id}/orders",
        "POST /orders/{id}/deliver",
        "POST /agents/register",
        "POST /agents/{id}/services",
    ];
    let per_hour = |routes: &[&str]| {
        served
            .iter()
            .filter(|(r, _)| routes.contains(&r.as_str()))
            .map(|(_, n)| n)
            .sum::<u64>() as f64
            * 3600.0
            / elapsed
    };
    let (free_per_hour, limited_served_per_hour) =
        (per_hour(&free_routes), per_hour(&limited_routes));

    // 3. Paid → notification, for real.
    let mut latencies = Vec::new();
    let mut creation_problem = None;
    for i in 0..samples {
        // A random moment in the signals' rhythm (counts every 15–30 s).
        let pause = (now_ms() ^ (i * 7919)) % 30_000;
        tokio::time::sleep(Duration::from_millis(pause)).await;
        // The client's two steps, as the web checkout does them: create (quoted), then pay
        // a few seconds later. Timed from the payment's answer.
        let mut created = None;
        for port in &ports {
            let base = format!("http://127.0.0.1:{port}/api/atelier/sandbox/orders");
            let body = json!({"service_id": service_id, "brief": format!("Bench order {i}"), "pay": false});
            match http.post(&base).json(&body).send().await {
                Ok(r) if r.status().is_success() => {
                    let order: Value = r.json().await.unwrap_or_default();
                    let id = order["data"]["id"].as_str().unwrap_or_default().to_owned();
                    created = Some((base, id));
                    break;
                }
                Ok(r) => creation_problem = Some(format!("{base}: {}", r.status())),
                Err(e) => creation_problem = Some(format!("{base}: {e}")),
            }
        }
        let Some((base, id)) = created else {
            eprintln!("bench: could not place an order on {ports:?}: {creation_problem:?}");
            break;
        };
        let wallet = 3_000 + (now_ms() ^ (i * 104_729)) % 5_000;
        tokio::time::sleep(Duration::from_millis(wallet)).await;
        let paid = http.post(format!("{base}/{id}/pay")).send().await;
        let paid_at = Instant::now();
        match paid {
            Ok(r) if r.status().is_success() => {}
            other => {
                eprintln!("bench: paying {id}: {other:?}");
                break;
            }
        }
        match spy.wait_for_notify(Duration::from_secs(240)).await {
            Some(n) => {
                let s = paid_at.elapsed().as_secs_f64();
                eprintln!("bench: sample {}: {s:.1} s ({:?})", i + 1, n.summary);
                latencies.push(s);
            }
            None => {
                eprintln!("bench: sample {}: no notification within 240 s", i + 1);
                latencies.push(f64::INFINITY);
            }
        }
    }
    // Intervals between the polls of this launch (the one at start included).
    let polls: Vec<u64> = ledger_calls(&ledger)
        .into_iter()
        .filter(|(at, k)| *at >= restart_ms && k.as_str() == "orders_poll")
        .map(|(at, _)| at)
        .collect();
    let mut gaps: Vec<f64> = polls
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / 1000.0)
        .collect();
    gaps.sort_by(f64::total_cmp);
    let all_calls_after_restart = ledger_calls(&ledger)
        .into_iter()
        .filter(|(at, _)| *at >= restart_ms)
        .map(|(at, k)| json!({"at_ms": at, "kind": k}))
        .collect::<Vec<_>>();
    let mut sorted = latencies.clone();
    sorted.sort_by(f64::total_cmp);
    let (m_mean, m_median, m_p95, m_max) = model();
    let load_after = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    app.quit().await;
    drop(profile);

    // 4. Report.
    let median = |v: &[f64]| {
        if v.is_empty() {
            f64::NAN
        } else {
            v[v.len() / 2]
        }
    };
    println!();
    println!(
        "Watcher benchmark ({}, Practice mode, {})",
        binary.display(),
        describe_date()
    );
    println!("| measure | figure |");
    println!("| --- | --- |");
    println!("| idle window | {elapsed:.0} s (after {settle} s settling) |");
    println!("| CPU, app + WebKit processes | {cpu_s:.2} s = {cpu_pct:.3} % of one core |");
    for p in &per_process {
        println!(
            "|   {} | {:.2} s, {:.3} %, RSS {} kB, PSS {} kB |",
            p["name"].as_str().unwrap(),
            p["cpu_s"].as_f64().unwrap(),
            p["cpu_pct"].as_f64().unwrap(),
            p["rss_kb"],
            p["pss_kb"]
        );
    }
    if !gone.is_empty() {
        println!("|   processes that ended during the window (not counted) | {gone:?} |");
    }
    println!(
        "| memory at end, app + WebKit | RSS {:.1} MB, PSS {:.1} MB |",
        rss as f64 / 1024.0,
        pss as f64 / 1024.0
    );
    println!("| tauri-driver + WebKitWebDriver (harness, not counted), whole life | {drivers_cpu:.2} s CPU |");
    println!(
        "| limited calls in the idle window | {} ({} polls) → {calls_per_hour:.1} per hour |",
        idle_calls.len(),
        idle_polls
    );
    println!(
        "| gap between polls, whole run (s) | min {:.1}, median {:.1}, max {:.1} (n={}) |",
        gaps.first().copied().unwrap_or(f64::NAN),
        median(&gaps),
        gaps.last().copied().unwrap_or(f64::NAN),
        gaps.len()
    );
    println!("| policy (theory) | signals on: a listing on each new order and a safety net every 810 s ± 10 % (≈ 4.4/h); off: 150 s ± 10 % → 24 polls/h |");
    println!("| paid → notification, measured (n={}) | min {:.1} s, median {:.1} s, max {:.1} s; all {:?} |",
        sorted.len(), sorted.first().copied().unwrap_or(f64::NAN), median(&sorted), sorted.last().copied().unwrap_or(f64::NAN),
        latencies.iter().map(|s| (s * 10.0).round() / 10.0).collect::<Vec<_>>());
    let p95 = |v: &[f64]| {
        if v.is_empty() {
            f64::NAN
        } else {
            v[((v.len() * 95).div_ceil(100))
                .saturating_sub(1)
                .min(v.len() - 1)]
        }
    };
    println!(
        "| paid → notification, p50 / p95 (n={}) | {:.1} s / {:.1} s |",
        sorted.len(),
        median(&sorted),
        p95(&sorted)
    );
    println!("| limited calls per idle hour, served (the marketplace's count) | {limited_served_per_hour:.1} |");
    println!("| free (unlimited) calls per idle hour, served | {free_per_hour:.1} |");
    println!("| requests served in the idle window, by route | {served:?} |");
    println!("| old polling: paid → next poll, model (not measured) | min 0 s, mean {m_mean:.1} s, median {m_median:.1} s, p95 {m_p95:.1} s, max {m_max:.0} s |");
    println!(
        "| load average before / after | {} / {} |",
        load_before.trim(),
        load_after.trim()
    );

    let out = json!({
        "date_ms": now_ms(), "idle_seconds": elapsed, "settle_seconds": settle,
        "cpu_seconds": cpu_s, "cpu_percent_of_one_core": cpu_pct, "processes": per_process,
        "ended_during_window": gone, "rss_kb": rss, "pss_kb": pss, "harness_cpu_seconds": drivers_cpu,
        "free_calls_per_hour": free_per_hour, "limited_served_per_hour": limited_served_per_hour,
        "served_in_idle_window": served.iter().map(|(r, n)| json!({"route": r, "requests": n})).collect::<Vec<_>>(),
        "binary": binary.display().to_string(),
        "idle_calls": idle_calls.len(), "idle_polls": idle_polls, "calls_per_hour": calls_per_hour,
        "p50_s": median(&sorted), "p95_s": p95(&sorted),
        "poll_gaps_s": gaps, "ledger_after_restart": all_calls_after_restart, "latencies_s": latencies.iter().map(|s| if s.is_finite() { json!(s) } else { Value::Null }).collect::<Vec<_>>(),
        "model": {"mean": m_mean, "median": m_median, "p95": m_p95, "max": m_max},
        "load_before": load_before.trim(), "load_after": load_after.trim(),
    });
    let dir: PathBuf = e2e::target_dir().join("bench");
    let _ = fs::create_dir_all(&dir);
    let _ = fs::write(
        dir.join("watcher.json"),
        serde_json::to_string_pretty(&out).unwrap(),
    );
    println!("\n(also written to {})", dir.join("watcher.json").display());
}

fn describe_date() -> String {
    std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}
