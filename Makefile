# Shortcuts for people who have make; the scripts work without it.
.PHONY: run test setup sandbox bench

run:
	scripts/run

test:
	scripts/test

setup:
	scripts/setup test

# A standalone sandbox marketplace on http://127.0.0.1:8787/api/atelier
sandbox:
	cargo run --locked -p atelier-desk --bin atelier-sandbox -- --port 8787

# The watcher benchmark (not a test): idle CPU/memory over 10 minutes of watching, limited
# calls issued, paid-to-notification time. Takes ~15-25 minutes; needs `make setup` first.
# Prints a table and writes target/bench/watcher.json; figures go in BENCHMARKS.md.
# Quicker try: BENCH_SECONDS=60 BENCH_SAMPLES=1 make bench
bench:
	bench/watcher
