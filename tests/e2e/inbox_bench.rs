//! The inbox's render time with a 1 MB brief and with 10 000 orders: a benchmark, not a
//! test (ignored by `cargo test`; `make bench-inbox` runs it and prints the figures for
//! BENCHMARKS.md). Measured in the page, from the click on Orders to the frame after the
//! list stops being busy: the `orders` call (the whole list through IPC) and the DOM work.

use std::time::Duration;

use atelier_tests::e2e::{AppUnderTest, TestProfile, READY};
use serde_json::{json, Value};

use crate::story::{invoke, open_in_practice_mode, register_with_a_service, run_script};

const SAMPLES: usize = 3;

/// Milliseconds from clicking Orders to the first frame painted after the list is ready.
async fn time_inbox(app: &AppUnderTest) -> f64 {
    let answer = run_script(
        app,
        "const done = arguments[arguments.length - 1];
         const start = performance.now();
         document.querySelector('#nav-inbox').click();
         const look = () => {
           const list = document.querySelector('#order-list');
           if (list && !list.hasAttribute('aria-busy')) {
             requestAnimationFrame(() => requestAnimationFrame(() =>
               done({ ms: performance.now() - start,
                      shown: document.querySelectorAll('#order-list [id^=\"order-ord\"]').length })));
           } else {
             setTimeout(look, 5);
           }
         };
         look();",
        vec![],
    )
    .await;
    eprintln!("  inbox ready: {answer}");
    answer["ms"].as_f64().expect("a time")
}

/// Rewrites the practice marketplace (app closed) so its one order becomes `orders`.
fn seed(profile: &TestProfile, make: impl Fn(&Value) -> Vec<Value>) {
    let data = profile.data_dir().join("practice-marketplace.json");
    let mut store: Value = serde_json::from_slice(&std::fs::read(&data).unwrap()).unwrap();
    let template = store["orders"][0].clone();
    store["orders"] = Value::Array(make(&template));
    std::fs::write(&data, serde_json::to_vec(&store).unwrap()).unwrap();
    // The desk keeps the last list it saw and shows it first: forget it, so the page
    // lists what was just written.
    forget_kept_lists(&profile.data_dir().join("watch"));
}

fn forget_kept_lists(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            forget_kept_lists(&path);
        } else if path.file_name().is_some_and(|n| n == "orders.json") {
            std::fs::remove_file(&path).unwrap();
        }
    }
}

async fn measure(profile: &TestProfile, what: &str) -> Vec<f64> {
    let mut times = Vec::new();
    for _ in 0..SAMPLES {
        // Each launch lists the orders anew (the worst case: no kept list yet).
        forget_kept_lists(&profile.data_dir().join("watch"));
        let app = AppUnderTest::launch(profile).await;
        app.wait_for(READY).await;
        app.wait_for("#nav-inbox").await;
        times.push(time_inbox(&app).await);
        app.quit().await;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "inbox render, {what}: min {:.0} ms, median {:.0} ms, max {:.0} ms ({SAMPLES} launches)",
        times[0],
        times[SAMPLES / 2],
        times[SAMPLES - 1]
    );
    times
}

#[tokio::test]
#[ignore = "a benchmark: make bench-inbox"]
async fn inbox_render_time_with_a_megabyte_brief_and_with_ten_thousand_orders() {
    let profile = TestProfile::named("inbox-bench").await;
    let app = open_in_practice_mode(&profile).await;
    register_with_a_service(&app, "Neon avatar pack").await;
    invoke(
        &app,
        "simulate_order",
        json!({"brief": "A template order to copy."}),
    )
    .await
    .expect("a first order to copy");
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.quit().await;

    seed(&profile, |template| {
        let mut orders: Vec<Value> = (0..20)
            .map(|i| {
                let mut o = template.clone();
                o["id"] = json!(format!("ord_bench_small_{i}"));
                o["brief"] = json!("A neon fox avatar for my stream, please.");
                o
            })
            .collect();
        let mut huge = template.clone();
        huge["id"] = json!("ord_bench_megabyte");
        huge["brief"] = json!("A very long brief, line after line. "
            .repeat(1 << 15)
            .chars()
            .take(1 << 20)
            .collect::<String>());
        orders.push(huge);
        orders
    });
    let megabyte = measure(&profile, "20 orders and one 1 MB brief").await;

    const STATUSES: [&str; 5] = ["paid", "delivered", "completed", "cancelled", "in_progress"];
    seed(&profile, |template| {
        (0..10_000)
            .map(|i| {
                let mut o = template.clone();
                o["id"] = json!(format!("ord_bench_{i:05}"));
                o["status"] = json!(STATUSES[i % STATUSES.len()]);
                o["brief"] = json!(format!(
                    "Order number {i}: three neon avatars, purple and teal."
                ));
                o
            })
            .collect()
    });
    let many = measure(&profile, "10 000 orders").await;
    assert!(megabyte.iter().chain(&many).all(|t| *t > 0.0));
}
