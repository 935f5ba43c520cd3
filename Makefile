# annostream — `make run` starts everything, `make test` checks everything.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTO_STAMP := protos/python/annostream_protos/__init__.py
NODE_STAMP := node_modules/.package-lock.json
WEB_STAMP := web/dist/index.html
WEB_SRC := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
PROTO_FILES := $(shell find protos/annostream -name '*.proto')

.PHONY: install web web-types web-check chromium prometheus run test lint typecheck buf unit integration e2e consistency smoke protos bench clean deploy-check imports sizes lock lock-check audit

install: $(STAMP) $(PROTO_STAMP) $(NODE_STAMP)

# (Re)create the venv when missing or when the dependencies changed: the pinned versions of
# requirements-dev.lock first, then the project itself without resolving anything again. uv (pinned in the lock,
# bootstrapped with pip) installs and byte-compiles them (as pip did: a clean clone's first test processes would
# otherwise each compile what they import): ≈ 25 s instead of pip's ≈ 80 s here.
UV_PIP = $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python
$(STAMP): pyproject.toml requirements-dev.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$$(grep -m1 '^uv==' requirements-dev.lock | cut -d' ' -f1)"
	$(UV_PIP) -r requirements-dev.lock setuptools wheel
	$(BIN)/python scripts/gen_protos.py
	$(UV_PIP) --no-deps --no-build-isolation -e .
	@touch $@

$(PROTO_STAMP): $(PROTO_FILES) scripts/gen_protos.py | $(STAMP)
	$(BIN)/python scripts/gen_protos.py

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# The web UI, built into web/dist (the gateway serves it at /); rebuilt when its sources change. Its API types
# (web/src/generated/openapi.ts, committed) are regenerated from the gateway's OpenAPI first.
web: web-types $(WEB_STAMP)

web-types: $(STAMP) $(PROTO_STAMP) web/node_modules/.package-lock.json
	$(BIN)/python scripts/gen_web_types.py

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

# tsc keeps what it checked in web/node_modules/.cache: the type check of web-check after a build (or the other way
# round) only checks what changed since (a clean clone's `make test` ran the whole check twice).
TSC = npx tsc --noEmit --incremental --tsBuildInfoFile node_modules/.cache/tsc.tsbuildinfo

$(WEB_STAMP): web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && $(TSC) && npx vite build --logLevel warn

# The UI's own checks: types, ESLint (typescript-eslint + react-hooks) and vitest unit tests (offline after install).
web-check: web/node_modules/.package-lock.json
	cd web && $(TSC) && npx eslint --max-warnings 0 . && npx madge --circular --no-spinner --extensions ts,tsx src && npx vitest run

# Browser tests drive Debian's Chromium (never a downloaded browser): installed only when missing.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -q && apt-get install -y -q chromium)

# The Prometheus test tier (tests/e2e/test_prometheus.py) and deploy-check's `promtool check rules` use Debian's
# prometheus package (2.42: prometheus + promtool), installed only when missing.
prometheus:
	@command -v prometheus > /dev/null && command -v promtool > /dev/null || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q prometheus)

protos: $(STAMP)
	$(BIN)/python scripts/gen_protos.py

run: install web
	$(BIN)/annostream up

smoke: install
	$(BIN)/annostream smoke $(if $(URL),--url $(URL),)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# The layering docs/contributing.md states (pyproject [tool.importlinter]): services never import each other, the
# kernel imports no component, a service's layers point down.
imports: install
	$(BIN)/lint-imports --no-cache

# No module over the documented size (scripts/check_sizes.py).
sizes:
	$(PY) scripts/check_sizes.py

# The locks pin every package `make install` (requirements-dev.lock) and the image (requirements.lock) install.
# `make lock` re-resolves them after a change of pyproject.toml (keeping every pin it can); `lock-check` fails
# when one no longer matches pyproject.toml.
lock: install
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --quiet -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --quiet -o requirements-dev.lock

lock-check: install
	$(BIN)/python scripts/check_lock.py

# Known vulnerabilities of the locked packages (a report; fails on a fixable Python one or a high npm one).
audit: install web/node_modules/.package-lock.json
	$(BIN)/python scripts/audit.py

buf: install
	cd protos && ../node_modules/.bin/buf lint && ../node_modules/.bin/buf format -d --exit-code

unit: install
	$(PYTEST) tests/unit $(PYTEST_END)

integration: install
	$(PYTEST) $(PARALLEL) tests/integration $(PYTEST_END)

e2e: install $(WEB_STAMP) chromium prometheus
	$(PYTEST) $(PARALLEL) tests/e2e $(PYTEST_END)

consistency: install
	$(PYTEST) tests/consistency $(PYTEST_END)

deploy-check: install prometheus
	scripts/deploy_check.sh

# A private temp dir per run: pytest prunes old numbered dirs in the shared one, which breaks a
# concurrent run's servers. PYTEST_ARGS: more options (e.g. `make test PYTEST_ARGS=--durations=30`).
PYTEST = d=$$(mktemp -d /tmp/annostream-pytest.XXXXXX); $(BIN)/pytest -q -p no:cacheprovider --basetemp=$$d $(PYTEST_ARGS)
PYTEST_END = ; rc=$$?; rm -rf $$d; exit $$rc
# Two pytest-xdist workers, whole files each (module and package fixtures start once per file); the files that
# measure or depend on the machine's load (tests/parallel.py RUN_ALONE: the consistency and topology tiers, `up`)
# run last, alone on one worker, after the other has stopped. One session: one summary, one exit status.
PARALLEL = -n $(WORKERS) --dist loadfile
WORKERS ?= 2

# deploy-check is not a prerequisite of `test`: tests/deploy/test_deploy_check.py runs the same script (and its
# failure cases) inside pytest.
# `test` and `e2e` build the UI without regenerating its API types: a stale committed openapi.ts fails
# tests/e2e/test_http_contract.py instead of being rewritten silently.
# The gates run two at a time (the UI's checks beside the Python ones); each gate's output is printed in one piece
# when it ends, and the first failure stops `test` before pytest.
GATES := web-check lint typecheck imports sizes lock-check audit buf
test: install $(WEB_STAMP) chromium prometheus
	$(MAKE) --no-print-directory -j2 --output-sync=target $(GATES)
	$(PYTEST) $(PARALLEL) tests $(PYTEST_END)

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) protos/python/annostream_protos node_modules .mypy_cache .ruff_cache .pytest_cache
