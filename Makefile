# Shortcuts for people who have make; the scripts work without it.
.PHONY: run test setup sandbox

run:
	scripts/run

test:
	scripts/test

setup:
	scripts/setup test

# A standalone sandbox marketplace on http://127.0.0.1:8787/api/atelier
sandbox:
	cargo run --locked -p atelier-desk --bin atelier-sandbox -- --port 8787
