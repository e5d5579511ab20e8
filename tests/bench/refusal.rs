//! The refusal benchmark (`bench/refusal`): not a test, it measures how much memory the
//! real `AtelierClient` takes while a server sends it an answer of 1 GiB, and how much of it
//! the server gets to send before the client hangs up.
//!
//! A fault proxy (`atelier_tests::faults`) in front of a sandbox streams the body lazily;
//! each measured call runs in a child process of its own (this program, `--client URL
//! CASE`), so its peak resident memory (VmHWM in /proc/self/status) is the client's alone:
//! a tokio runtime, reqwest, and whatever the answer makes it hold. Cases, `BENCH_RUNS`
//! times each (default 5):
//!
//! - `small`: a normal (empty) order list from the sandbox, for the baseline;
//! - `gib-declared`: 1 GiB with `content-length` — refused before reading;
//! - `gib-chunked`: 1 GiB without a length — read up to the 64 MiB cap, then refused;
//! - `60mib-chunked`: 60 MiB without a length, under the cap — read whole, then not JSON
//!   that ends: what the largest answer the client accepts costs.
//!
//! Prints a table and writes `target/bench/refusal.json`.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use atelier_core::base_url::BaseUrl;
use atelier_core::client::AtelierClient;
use atelier_tests::faults::{Fault, FaultProxy, GIB};
use serde_json::{json, Value};

const MIB: f64 = 1024.0 * 1024.0;

const CASES: [(&str, Option<Fault>); 4] = [
    ("small", None),
    (
        "gib-declared",
        Some(Fault::Huge {
            bytes: GIB,
            declare_length: true,
        }),
    ),
    (
        "gib-chunked",
        Some(Fault::Huge {
            bytes: GIB,
            declare_length: false,
        }),
    ),
    (
        "60mib-chunked",
        Some(Fault::Huge {
            bytes: 60 << 20,
            declare_length: false,
        }),
    ),
];

/// `VmHWM` and `VmRSS` of this process, in bytes.
fn own_memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// The child: one call through `base_url` as the agent `BENCH_AGENT` with the key
/// `BENCH_KEY`, then its memory, as one JSON line on stdout.
fn client(base_url: &str) {
    let agent = std::env::var("BENCH_AGENT").unwrap_or_default();
    let key = std::env::var("BENCH_KEY").unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let line = runtime.block_on(async {
        let client = AtelierClient::new(BaseUrl::parse(base_url).unwrap())
            .unwrap()
            .signed_in(key.into());
        let (before_hwm, _) = own_memory();
        let started = Instant::now();
        let outcome = client.orders(&agent, &[]).await;
        let took = started.elapsed();
        let (hwm, rss) = own_memory();
        json!({
            "code": outcome.as_ref().err().map_or("ok", |e| e.code()),
            "ms": took.as_secs_f64() * 1000.0,
            "hwm_before": before_hwm,
            "hwm": hwm,
            "rss_after": rss,
        })
    });
    println!("{line}");
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--client") {
        return tokio::task::spawn_blocking(move || client(&args[2]))
            .await
            .unwrap();
    }
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let sandbox = atelier_tests::sandbox().await;
    let proxy = FaultProxy::start(&sandbox.base_url()).await;
    let me = std::env::current_exe().unwrap();
    let registration = atelier_tests::client(&sandbox)
        .register(&atelier_tests::agent_form("Bench Studio"))
        .await
        .expect("registration succeeds");
    let key = secrecy::ExposeSecret::expose_secret(&registration.api_key).to_owned();

    let mut all = Vec::new();
    println!(
        "{:<14} {:>10} {:>12} {:>12} {:>12} {:>12}  code",
        "case", "ms", "peak MiB", "start MiB", "growth MiB", "sent MiB"
    );
    for (name, fault) in CASES {
        let mut samples = Vec::new();
        for _ in 0..runs {
            let mark = proxy.mark();
            if let Some(fault) = fault.clone() {
                proxy.next(1, fault);
            }
            let child = Command::new(&me)
                .args(["--client", &proxy.base_url()])
                .env("BENCH_AGENT", &registration.agent_id)
                .env("BENCH_KEY", &key)
                .stdout(Stdio::piped())
                .spawn()
                .expect("the client process starts");
            let output = tokio::task::spawn_blocking(move || child.wait_with_output())
                .await
                .unwrap()
                .expect("the client process ends");
            let line = output
                .stdout
                .as_slice()
                .lines()
                .map_while(Result::ok)
                .last()
                .unwrap_or_default();
            let mut sample: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("{name}: the client said {line:?}: {e}"));
            // Let the proxy notice the hang-up before reading what it sent.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let sent = proxy
                .since(mark)
                .first()
                .map_or(0, |hit| hit.body_bytes_sent());
            sample["sent"] = json!(sent);
            samples.push(sample);
        }
        let pick = |key: &str| -> Vec<f64> {
            samples
                .iter()
                .map(|s| s[key].as_f64().unwrap_or(0.0))
                .collect()
        };
        let peak = median(pick("hwm")) / MIB;
        let start = median(pick("hwm_before")) / MIB;
        println!(
            "{:<14} {:>10.1} {:>12.1} {:>12.1} {:>12.1} {:>12.1}  {} (max peak {:.1} MiB)",
            name,
            median(pick("ms")),
            peak,
            start,
            median(
                samples
                    .iter()
                    .map(|s| {
                        s["hwm"].as_f64().unwrap_or(0.0) - s["hwm_before"].as_f64().unwrap_or(0.0)
                    })
                    .collect()
            ) / MIB,
            median(pick("sent")) / MIB,
            samples[0]["code"].as_str().unwrap_or("?"),
            pick("hwm").into_iter().fold(0.0, f64::max) / MIB,
        );
        all.push(json!({"case": name, "samples": samples}));
    }
    let out = atelier_tests::e2e::target_dir().join("bench");
    std::fs::create_dir_all(&out).unwrap();
    let path = out.join("refusal.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&json!({"runs": runs, "cases": all})).unwrap(),
    )
    .unwrap();
    println!("\n(medians of {runs} runs; written to {})", path.display());
}
