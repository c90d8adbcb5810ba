"""The dashboard's checked-in OpenAPI documents match the services' (so its types do too).

frontend/src/api/*.ts are generated from these documents; the Vitest suite checks that
step (`api-types.test.ts`). Run `make api-types` to refresh both.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("openapi_dump", ROOT / "deploy/scripts/openapi.py")
assert spec is not None and spec.loader is not None
openapi_dump = importlib.util.module_from_spec(spec)
spec.loader.exec_module(openapi_dump)


@pytest.mark.parametrize("service", openapi_dump.SERVICES)
def test_checked_in_openapi_document_is_current(service: str) -> None:
    checked_in = (ROOT / "frontend/openapi" / f"{service}.json").read_text(encoding="utf-8")
    assert checked_in == openapi_dump.render(service), (
        f"frontend/openapi/{service}.json is stale: run `make api-types`"
    )
