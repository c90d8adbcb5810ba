# Beacon: `make up` runs the whole suite with demo data, `make test` runs every test.
SHELL := /bin/bash
UV ?= uv
RUN := $(UV) run --frozen

.PHONY: install up down test unit integration lint fmt logs postman bench-ingest bench-segments bench-campaign bench-stats

install:  ## Python deps from uv.lock (installs uv itself if missing)
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet "uv==0.13.9"
	$(UV) sync --frozen

up: install  ## install, migrate, start all services, load demo data, print URLs
	deploy/scripts/up.sh

down:  ## stop what `make up` started
	deploy/scripts/down.sh

logs:
	tail -f .run/beacon.log

test: install lint  ## unit + integration tests (containers when an engine can be had)
	$(RUN) pytest

unit: install
	$(RUN) pytest -m "not integration"

integration: install
	$(RUN) pytest -m integration

lint:
	$(RUN) ruff check .
	$(RUN) lint-imports
	$(RUN) mypy shared services beacon_cli

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

postman: install  ## regenerate docs/postman from the services' OpenAPI (needs node and npm)
	tools/postman/build.sh docs/postman
