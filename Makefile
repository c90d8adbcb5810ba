# Beacon: `make up` runs the whole suite with demo data, `make test` runs every test.
SHELL := /bin/bash
UV ?= uv
RUN := $(UV) run --frozen
# Every service refuses to start without an exact BEACON_ENV (docs/security.md): `make up`,
# `make token` and the tests run a local box, so they say so (a value set outside wins).
export BEACON_ENV ?= development

.PHONY: install up down token test unit integration lint fmt logs postman bench-ingest bench-segments bench-campaign bench-stats bench-import bench-dashboard \
	test-hostile test-chaos test-chaos-long soak test-deploy rabbitmq-definitions images ui api-types test-ui

install:  ## Python deps from uv.lock (installs uv itself if missing)
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet "uv==0.13.9"
	$(UV) sync --frozen

up: install  ## install, migrate, start all services, load demo data, print URLs
	deploy/scripts/up.sh

down:  ## stop what `make up` started
	deploy/scripts/down.sh

token:  ## print a dev-mode access token valid 1 h: make -s token EMAIL=you@example.com [ROLE=admin]
	@test -n "$(EMAIL)" || { echo "usage: make -s token EMAIL=you@example.com [ROLE=admin]" >&2; exit 2; }
	@$(RUN) python -m services.campaigns token --email "$(EMAIL)" --role "$(or $(ROLE),marketer)"

logs:
	tail -f .run/beacon.log

test: install lint ui  ## lint, the dashboard's component tests, then every Python test (unit, integration, e2e, browser, newman, provider mocks)
	[ -d tools/postman/node_modules ] || npm ci --prefix tools/postman --no-audit --no-fund --silent
	[ -d tools/mocks/node_modules ] || npm ci --prefix tools/mocks --no-audit --no-fund --silent
	cd frontend && npx vitest run
	cd frontend && node scripts/bundle-size.mjs src/pages/Campaigns.tsx --max-kb 250
	$(RUN) pytest

unit: install
	$(RUN) pytest -m "not integration"

integration: install
	$(RUN) pytest -m integration

test-hostile: install  ## hostile-input table, poison messages, schemathesis (no 5xx)
	$(RUN) pytest tests/hostile -q

test-chaos: install  ## short chaos run + back-pressure (needs the container backends; ~5 min)
	BEACON_TEST_BACKEND=$${BEACON_TEST_BACKEND:-containers} $(RUN) pytest tests/chaos -q -s

test-chaos-long: install  ## the documented long chaos run: 100k orders, 50k recipients, >= 50 kills
	BEACON_CHAOS=long BEACON_TEST_BACKEND=$${BEACON_TEST_BACKEND:-containers} \
		$(RUN) pytest tests/chaos/test_chaos.py -q -s

soak: install  ## 10 min at half the benchmarked rates, RSS of every process sampled (not in CI)
	$(RUN) python -m tests.chaos.soak

test-deploy: install  ## Compose config, Kubernetes render + validation, RabbitMQ definitions, the Compose stack (slow)
	$(RUN) pytest tests/deploy

rabbitmq-definitions:  ## regenerate deploy/rabbitmq/definitions.json (and its k8s copy) from the code
	$(RUN) python deploy/scripts/rabbitmq_definitions.py

images:  ## build beacon/app and beacon/dashboard (needs a Docker engine and a registry for the bases)
	docker build -f deploy/docker/Dockerfile -t beacon/app:latest .
	docker build -f deploy/docker/dashboard.Dockerfile -t beacon/dashboard:latest .

lint:
	$(RUN) ruff check .
	$(RUN) lint-imports
	$(RUN) mypy shared services simulators beacon_cli beacon_formats bench

fmt:
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

bench-ingest: install
	$(RUN) python -m bench.ingest

bench-segments: install
	$(RUN) python -m bench.segments

bench-campaign: install
	$(RUN) python -m bench.campaign

bench-stats: install
	$(RUN) python -m bench.stats

bench-import: install  ## a 1,000,000-row orders file through `beacon import` until the import is done
	$(RUN) python -m bench.importer

bench-dashboard: install  ## 1M profiles, the dashboard in Chromium: size on screen, receipt -> row
	$(RUN) python -m bench.dashboard

ui:  ## build the dashboard (npm ci from package-lock.json when it changed, tsc, vite build)
	deploy/scripts/ui.sh build

api-types: install  ## regenerate the dashboard's API types from the services' OpenAPI documents
	PYTHONPATH=. $(RUN) python deploy/scripts/openapi.py frontend/openapi
	cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && node scripts/api-types.mjs

test-ui: install ui  ## dashboard: Vitest component tests, first-load budget, then the browser end-to-end test
	cd frontend && npx vitest run
	cd frontend && node scripts/bundle-size.mjs src/pages/Campaigns.tsx --max-kb 250
	$(RUN) pytest tests/ui -q

postman: install  ## regenerate docs/postman from the services' OpenAPI (needs node and npm)
	tools/postman/build.sh docs/postman
