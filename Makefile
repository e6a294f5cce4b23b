# The whole set-up on a fresh machine is `make run` and `make test` (see README.md).
CARGO ?= cargo
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run build test lint fmt clippy check-boundaries deps postgres bench bench-compare bench-instructions fuzz chaos clean-data

## Build, create ./data/gateway.db, migrate, ensure a demo user and tiered project, print
## credentials and a snippet per vendor SDK, serve.
run: deps
	$(CARGO) run --locked -p gateway-server --bin gateway -- serve --demo

build: deps
	$(CARGO) build --locked --workspace --all-targets

## Every test: unit, storage contract (SQLite and PostgreSQL: a local server is started when none
## answers, GATEWAY_TEST_POSTGRES_URL picks another), end-to-end over HTTP, vendor SDKs (installed
## by scripts/ at pinned versions).
test: deps postgres check-boundaries
	GATEWAY_TEST_POSTGRES_URL=$${GATEWAY_TEST_POSTGRES_URL:-$(PG_URL)} \
	  $(CARGO) test --locked --workspace --all-targets

## Formatting, clippy with warnings denied, crate boundaries.
lint: fmt clippy check-boundaries

fmt:
	$(CARGO) fmt --all -- --check

clippy: deps
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

## The core knows no framework or database; dialects know no database and no other dialect.
## `cargo tree -p P -e normal -i X` prints the path from P to X, and nothing when X is not a
## normal (non-dev) dependency of P.
BOUNDARY = if [ -n "$$($(CARGO) tree --locked -p $(1) -e normal -i $(2) 2>/dev/null)" ]; then echo "$(1) must not depend on $(2)"; exit 1; fi
check-boundaries:
	@set -e; \
	for dep in diesel actix-web utoipa gateway-storage gateway-http; do $(call BOUNDARY,gateway-core,$$dep); done; \
	$(call BOUNDARY,gateway-http,diesel); \
	$(call BOUNDARY,gateway-http,gateway-storage); \
	dialects="$$(ls crates | sed -n 's/^dialect-//p')"; \
	for d in $$dialects; do \
	  $(call BOUNDARY,dialect-$$d,diesel); \
	  $(call BOUNDARY,dialect-$$d,gateway-storage); \
	  for o in $$dialects; do [ $$d = $$o ] || { $(call BOUNDARY,dialect-$$d,dialect-$$o); }; done; \
	done; \
	echo "crate boundaries hold (core: no diesel/actix/utoipa; dialects: no diesel/storage/other dialects)"

## Build prerequisites (libpq headers for diesel's postgres backend).
deps:
	@scripts/ensure-build-deps.sh

## Start a local PostgreSQL on 127.0.0.1:5432 if none answers.
postgres:
	@scripts/ensure-postgres.sh

## Throughput, latency and memory of every dialect next to a bare actix-web baseline and Prism
## (about 17 minutes, loopback only): prints a table and rewrites docs/benchmarks.md. Installs wrk
## and Prism (scripts/install-bench-tools.sh); starts a local PostgreSQL when none answers.
bench: deps postgres
	@scripts/install-bench-tools.sh
	GATEWAY_TEST_POSTGRES_URL=$${GATEWAY_TEST_POSTGRES_URL:-$(PG_URL)} python3 scripts/bench.py

## Before/after CPU per request against an older revision, pair by pair (scripts/bench_compare.py):
## make bench-compare BASE=<git revision>.
bench-compare: deps postgres
	@scripts/install-bench-tools.sh
	@test -n "$(BASE)" || { echo "usage: make bench-compare BASE=<git revision>"; exit 2; }
	GATEWAY_TEST_POSTGRES_URL=$${GATEWAY_TEST_POSTGRES_URL:-$(PG_URL)} python3 scripts/bench_compare.py $(BASE)

## Instructions per request against an older revision, counted by callgrind (repeatable to a
## fraction of a percent; scripts/bench_instructions.py): make bench-instructions BASE=<revision>.
bench-instructions: deps postgres
	@scripts/install-bench-tools.sh
	@test -n "$(BASE)" || { echo "usage: make bench-instructions BASE=<git revision>"; exit 2; }
	GATEWAY_TEST_POSTGRES_URL=$${GATEWAY_TEST_POSTGRES_URL:-$(PG_URL)} python3 scripts/bench_instructions.py $(BASE)

clean-data:
	rm -rf data

## Long fuzzing (issue 9): schemathesis (pinned, installed into .venv-fuzz) against every surface's
## OpenAPI document, RELIABILITY_FUZZ_REQUESTS generated requests per surface (10,000 by default).
## Figures of the run land in target/reliability/ (see docs/reliability.md).
fuzz: deps
	@scripts/install-fuzz-tools.sh
	RELIABILITY_LONG=1 RELIABILITY_FIGURES=$(CURDIR)/target/reliability \
	  $(CARGO) test --locked -p gateway-tests --test api reliability::fuzz:: -- --nocapture --test-threads=1

## Long chaos run (issue 9): lost updates with 64 clients and two instances, repeated kill -9,
## ten PostgreSQL outages under load, hostile bodies and slow clients, token attacks, the tiered
## wall. Starts a local PostgreSQL when GATEWAY_TEST_POSTGRES_URL is not set.
chaos: deps postgres
	RELIABILITY_LONG=1 RELIABILITY_FIGURES=$(CURDIR)/target/reliability \
	GATEWAY_TEST_POSTGRES_URL=$${GATEWAY_TEST_POSTGRES_URL:-$(PG_URL)} \
	  $(CARGO) test --locked -p gateway-tests --test api reliability:: -- --nocapture --test-threads=1 --skip reliability::fuzz::
