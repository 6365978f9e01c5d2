# pgrestd — `make run` serves the demo API, `make test` runs every test.
# Both install what they need: a venv with pgrestd, and PostgreSQL 15 from
# Debian's packages when it is missing.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PG_BIN  ?= /usr/lib/postgresql/15/bin
CONFORMANCE ?= ../shared/conformance

export PG_BIN

.PHONY: help venv postgres postgis node chromium run stop clean test deploy-test reliability reliability-short soak unit conformance bench bench-minimal lint

help:
	@echo "make run          serve the demo API on http://127.0.0.1:3000 (embedded database)"
	@echo "make stop         stop the demo server and the embedded database"
	@echo "make clean        stop it and delete .run/ and the venv"
	@echo "make test         run the whole test suite"
	@echo "make deploy-test  two instances behind nginx, PgBouncer, a standby, under load"
	@echo "make reliability  faults, hostile input and load; one table, non-zero exit on a failed verdict (~20 min)"
	@echo "make reliability-short  the same, shorter (CI, under 5 min)"
	@echo "make soak         30 minutes at half the measured throughput; figures into bench/RESULTS.md"
	@echo "make conformance  run PostgREST's conformance cases and check the ratchet"
	@echo "make bench        pgrestd in ../shared/perf beside Falcon, PostGraphile and pgbench (~15 min)"
	@echo "make bench-minimal  pgrestd beside a minimal app sending its own statements"

$(BIN)/pgrestd: setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	@touch $@

venv: $(BIN)/pgrestd

# PostgreSQL 15 server binaries, systemd-analyze (the unit-file test), and
# PgBouncer and nginx (the pooler and deployment tests), from Debian.
postgres:
	@if [ ! -x $(PG_BIN)/initdb ] || ! command -v systemd-analyze >/dev/null || [ ! -x /usr/sbin/pgbouncer ] \
	    || [ ! -x /usr/sbin/nginx ]; then \
	  echo "installing PostgreSQL 15, systemd, PgBouncer and nginx from Debian packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    postgresql-15 systemd pgbouncer nginx-light >/dev/null; \
	fi

# Node.js and npm for the postgrest-js client tests (their npm packages install on first use).
node:
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  echo "installing Node.js and npm from Debian packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	fi

# Headless Chromium for the browser tests (Swagger UI, react-admin), driven by Playwright for Python.
chromium:
	@if ! command -v chromium >/dev/null; then \
	  echo "installing Chromium from Debian packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null; \
	fi

postgis:
	@if [ ! -e /usr/share/postgresql/15/extension/postgis.control ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3 >/dev/null; \
	fi

# pgrestd runs in the foreground (Ctrl-C stops it); its pid is kept so that
# `make stop` from another terminal stops it too.
run: venv postgres
	scripts/devdb.sh start
	@$(BIN)/pgrestd conf/demo.conf & echo $$! > .run/pgrestd.pid; wait $$!; rm -f .run/pgrestd.pid

stop:
	@if [ -s .run/pgrestd.pid ] && kill -0 "$$(cat .run/pgrestd.pid)" 2>/dev/null; then \
	  kill -TERM "$$(cat .run/pgrestd.pid)" && echo "stopped pgrestd (pid $$(cat .run/pgrestd.pid))"; \
	  while kill -0 "$$(cat .run/pgrestd.pid)" 2>/dev/null; do sleep 0.2; done; \
	fi; rm -f .run/pgrestd.pid
	scripts/devdb.sh stop

clean: stop
	rm -rf .run $(VENV)

unit: venv
	$(BIN)/pytest -q tests/unit

test: venv postgres node chromium
	$(BIN)/pytest -q tests --ignore=tests/deploy

# Primary + standby, PgBouncer, two pgrestd instances and nginx under load (~25 s).
deploy-test: venv postgres
	$(BIN)/pytest -q -s tests/deploy

# Real PostgreSQL, pgrestd, nginx; schemathesis comes with the test extra.
reliability: venv postgres
	$(BIN)/python -m tests.reliability $(RELIABILITY_ARGS)

reliability-short: venv postgres
	$(BIN)/python -m tests.reliability --short $(RELIABILITY_ARGS)

soak: venv postgres
	$(BIN)/python -m tests.reliability soak --minutes $(or $(SOAK_MINUTES),30)

conformance: venv postgres postgis
	$(BIN)/python tests/conformance/ratchet.py --suite $(CONFORMANCE)

# The shared harness (copied to .perf/) installs wrk, Node and PostGraphile itself.
bench: venv postgres
	$(BIN)/python bench/perf.py $(BENCH_ARGS)

bench-minimal: venv postgres
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/run.py
