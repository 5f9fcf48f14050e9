# Mrasla — the two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOOLS  := .tools
BUN    := $(TOOLS)/node_modules/.bin/bun
PORT   ?= 3000

export PATH := $(CURDIR)/$(TOOLS)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false

.PHONY: install run lint test test-unit test-e2e test-pg test-deps bench bench-db bench-load bench-phone lighthouse seed migrate clean help

help:
	@echo "make run    install, migrate, seed the demo once, serve on http://localhost:$(PORT) (loopback only)"
	@echo "make test   install test dependencies and run the whole suite"
	@echo "make test-pg  the suites on PostgreSQL (PG_URL) and the browser suite with Redis + 2 workers (REDIS_URL)"
	@echo "make bench-load  load benchmarks 2 and 4 (deposit throughput closed loop and paced at 40/s, concurrent agents) on prod servers (~30 min)"

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# Reflex's own bun download needs the internet; the npm registry package works offline.
$(BUN):
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error bun@^1.4.4

install: $(VENV)/.installed $(BUN)

migrate: install
	$(BIN)/mrasla migrate

seed: install
	$(BIN)/mrasla seed --quiet

# The demo (published passwords) listens on loopback only; HOST=0.0.0.0 only for a real installation
# (`mrasla init`): the server refuses a non-loopback MRASLA_PUBLIC_URL while demo accounts are open.
HOST ?= 127.0.0.1
run: seed
	$(BIN)/reflex run --env prod --frontend-port $(PORT) --backend-port $(PORT) --backend-host $(HOST)

# Debian tools the tests use as independent checkers (tests/interop: OpenSSL, NSS certutil + poppler's
# pdfsig/pdffonts, qpdf; SoftHSM2 for the PKCS#11 option; OpenLDAP's slapd for directory sign-in), the browser
# (root only; never `playwright install`), and what the app itself reads and converts documents with: pdftoppm,
# Tesseract's Arabic and French models (OCR), LibreOffice + Noto fonts (Office documents converted to PDF).
test-deps: install
	@missing=""; \
	for t in chromium:chromium pdfsig:poppler-utils pdffonts:poppler-utils qpdf:qpdf zbarimg:zbar-tools \
	         pdftoppm:poppler-utils openssl:openssl certutil:libnss3-tools softhsm2-util:softhsm2 \
	         soffice:libreoffice-writer-nogui tesseract:tesseract-ocr slapd:slapd ldapsearch:ldap-utils \
	         dovecot:dovecot-imapd; do \
	  command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t##*:}"; done; \
	for p in libreoffice-calc-nogui fonts-noto-core; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	for l in ara:tesseract-ocr-ara fra:tesseract-ocr-fra; do \
	  test -f /usr/share/tesseract-ocr/5/tessdata/$${l%%:*}.traineddata || missing="$$missing $${l##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages:$$missing (install them as root)"; exit 1; fi; fi
	test -f $(TOOLS)/node_modules/axe-core/axe.min.js || npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error axe-core
	test -x $(TOOLS)/node_modules/.bin/redocly || npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error @redocly/cli

test-unit: install
	$(BIN)/python -m pytest tests/unit tests/api tests/authz -q -p no:cacheprovider

test-e2e: test-deps
	$(BIN)/python -m pytest tests/e2e -q -p no:cacheprovider

# Lint and type check first (seconds): ruff (pyproject [tool.ruff]) and mypy (pyproject [tool.mypy]).
lint: test-deps
	$(BIN)/ruff check mrasla_app tests bench alembic
	$(BIN)/ruff format --check mrasla_app tests bench alembic
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest tests/unit tests/api tests/authz tests/interop -q -p no:cacheprovider
	$(BIN)/python -m pytest tests/e2e -q -p no:cacheprovider

# The production topology: unit and API suites on PostgreSQL (template databases cloned per test; the
# socket-handover test between two workers on Redis), then the browser suite against a server on PostgreSQL
# with Reflex state in Redis and two workers. Tests marked
# `external` (LibreOffice, Tesseract, Dovecot, slapd: their behaviour does not depend on the database) ran in `make test`.
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432
REDIS_URL ?= redis://127.0.0.1:6379/3
test-pg: test-deps
	MRASLA_TEST_PG=$(PG_URL) MRASLA_TEST_REDIS=$(REDIS_URL) $(BIN)/python -m pytest tests/unit tests/api tests/authz tests/interop -q -p no:cacheprovider -m "not external"
	MRASLA_TEST_PG=$(PG_URL) MRASLA_TEST_REDIS=$(REDIS_URL) $(BIN)/python -m pytest tests/e2e -q -p no:cacheprovider -m "not external"

# Benchmarks print their comparison tables and write JSON into bench/out/ (see bench/RESULTS.md).
bench: install
	$(BIN)/python bench/receipt_issuance.py
	$(BIN)/python bench/signature.py
	$(BIN)/python bench/hostile_files.py
	$(BIN)/python bench/batch_signing.py

# Benchmark 3: 1,000,000 correspondences generated once into bench/out/benchdb.sqlite and the PostgreSQL
# database benchdb_1m (skipped when PG_URL does not answer), then inbox/search/verification queries on both.
bench-db: install
	$(BIN)/python bench/queries.py --sqlite bench/out/benchdb.sqlite --pg $(PG_URL)/benchdb_1m

# Benchmarks 2 and 4 against `reflex run --env prod` servers they start themselves: the embedded default
# (SQLite, one worker), then PostgreSQL (PG_URL, databases benchload_*) + Redis (BENCH_REDIS_URL) with two
# workers when both answer. Long (~25 min): not part of `make bench`.
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/5
$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

bench-load: install $(VENV)/.bench-installed
	$(BIN)/python bench/deposit_throughput.py --pg $(PG_URL) --redis $(BENCH_REDIS_URL)
	$(BIN)/python bench/deposit_throughput.py --pg $(PG_URL) --redis $(BENCH_REDIS_URL) --rate 40
	$(BIN)/python bench/concurrent_agents.py --pg $(PG_URL) --redis $(BENCH_REDIS_URL)

# Issue 19: /deposit, /track and a receipt's verification page on a cheap phone (4x CPU, slow 3G), 5 cold loads
# each, on a prod build it starts itself: time until typing is kept, verdict, FCP/LCP, JS bytes (bench/out/phone.json).
bench-phone: test-deps
	$(BIN)/python bench/phone.py

# Lighthouse (mobile profile) on /deposit, /track and a receipt's verification page of a fresh prod build; scores go to bench/out/.
lighthouse: install
	test -x $(TOOLS)/node_modules/.bin/lighthouse || npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error lighthouse
	bench/lighthouse.sh

clean:
	rm -rf .web .states build *.egg-info
