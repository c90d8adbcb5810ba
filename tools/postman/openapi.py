"""Print one OpenAPI document for all of Beacon: each service's own, merged.

Each service's document comes from its app factory, without running it (``build_app``
connects to nothing until started). Only the ``/api/v1`` routes are kept (every service
has its own ``/healthz`` and ``/metrics``, which would collide); each operation is tagged
with its service, which the generator uses for folders and base URLs.

    uv run python tools/postman/openapi.py > openapi.json
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ingest", "segments", "campaigns", "delivery", "stats")


def service_document(service: str) -> dict[str, Any]:
    app = importlib.import_module(f"services.{service}.app").build_app("api")
    return dict(app.openapi())


def merged() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for service in SERVICES:
        document = service_document(service)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            if name in schemas and schemas[name] != schema:
                raise SystemExit(f"schema {name!r} differs between services: rename one")
            schemas[name] = schema
        for path, operations in document["paths"].items():
            if not path.startswith("/api/"):
                continue
            for operation in operations.values():
                operation["tags"] = [service]
            paths[path] = operations
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Beacon API",
            "version": "1.0.0",
            "description": "Every Beacon service's /api/v1 routes (generated).",
        },
        "servers": [{"url": "http://127.0.0.1:8080"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    json.dump(merged(), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
