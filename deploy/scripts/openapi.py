"""Write each service's OpenAPI document, built without starting it, as JSON.

`make api-types` runs this, then turns the documents into the dashboard's TypeScript
types (frontend/scripts/api-types.mjs); tests/ui/test_api_types.py fails when the
checked-in documents no longer match the services.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

SERVICES = ("ingest", "segments", "campaigns", "delivery", "stats")


def document(service: str) -> dict[str, Any]:
    """The service's OpenAPI document; build_app connects to nothing until started."""
    app = importlib.import_module(f"services.{service}.app").build_app("api")
    return dict(app.openapi())


def render(service: str) -> str:
    return json.dumps(document(service), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        (out / f"{service}.json").write_text(render(service), encoding="utf-8")
        print(f"wrote {out / f'{service}.json'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "frontend/openapi")
