# Beacon: `make up` runs the whole suite with demo data, `make test` runs every test.
SHELL := /bin/bash
UV ?= uv
RUN := $(UV) run --frozen

.PHONY: install up down token test unit integration lint fmt logs bench-ingest bench-segments bench-campaign bench-stats \
	test-deploy rabbitmq-definitions images

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

test: install lint  ## unit + integration tests (containers when an engine can be had)
	$(RUN) pytest

unit: install
	$(RUN) pytest -m "not integration"

integration: install
	$(RUN) pytest -m integration

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
	$(RUN) mypy shared services

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
