# Shortcuts for people who have make; the scripts work without it.
.PHONY: run test setup sandbox package bench bench-watcher bench-inbox

run:
	scripts/run

test:
	scripts/test

setup:
	scripts/setup test

# A standalone sandbox marketplace on http://127.0.0.1:8787/api/atelier
sandbox:
	cargo run --locked -p atelier-core --bin atelier-sandbox -- --port 8787

# The installable packages: target/release/bundle/deb/*.deb and target/release/bundle/rpm/*.rpm
package:
	scripts/package

# The footprint benchmark (not a test), side by side with a bare Tauri v2 app (bench/bare)
# built with the same crates and release profile: start to ready, memory, idle CPU and the
# .deb/.rpm sizes, launches alternating in one run, ratios first. Needs `make setup` first.
# Prints a table and writes target/bench/app.json; figures go in BENCHMARKS.md. Quicker try:
# BENCH_STARTS=6 BENCH_RUNS=2 BENCH_SETTLE_SECONDS=10 BENCH_IDLE_SECONDS=20 make bench
bench:
	bench/app

# The watcher benchmark, on the packaged release build: idle CPU/memory over an hour of
# watching, the calls (limited and free) the practice marketplace served in that hour,
# paid-to-notification p50/p95. Takes ~75 minutes. Writes target/bench/watcher.json.
# Quicker try: BENCH_SECONDS=60 BENCH_SAMPLES=1 make bench-watcher
bench-watcher:
	bench/watcher

# The Orders screen with thousands of hostile orders: render time and the page's memory
# (an ignored E2E story, BENCHMARKS.md).
bench-inbox:
	cargo build --locked -p atelier-desk
	scripts/e2e-session cargo test --locked -p atelier-tests --test e2e inbox_bench -- --ignored --nocapture
