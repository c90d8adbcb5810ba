"""Schemathesis against every service's OpenAPI schema: generated requests, valid and not,
must never get a 5xx (``not_a_server_error``). Conformance to the schema is the contracts
issue's, not this one's. The example count is bounded so the whole run takes a minute or two;
``BEACON_SCHEMATHESIS_EXAMPLES`` raises it for a deeper run.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.hostile.conftest import Apis

pytestmark = pytest.mark.integration

EXAMPLES = os.environ.get("BEACON_SCHEMATHESIS_EXAMPLES", "15")
SERVICES = ["ingest", "segments", "campaigns", "delivery", "stats"]


@pytest.mark.parametrize("service", SERVICES)
def test_no_server_errors(apis: Apis, service: str) -> None:
    url = apis.urls[service]
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{url}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        EXAMPLES,
        "--seed",
        "10",
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        "--header",
        f"Authorization: Bearer {apis.stack.token(ttl_s=3600)}",
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"schemathesis found server errors in {service}:\n{output[-8000:]}"
