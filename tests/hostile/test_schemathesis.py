"""Schemathesis against every service's OpenAPI document with every check (``--checks
all``): no 5xx, every status documented, every response (errors included) fits its schema,
schema-valid requests accepted and schema-violating ones refused, and so on. Where a check
cannot hold by the API's nature, ``schemathesis.toml`` beside this file says so and why.

The example count is bounded so the whole run takes a minute or two per service;
``BEACON_SCHEMATHESIS_EXAMPLES`` raises it for a deeper run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.hostile.conftest import Apis

pytestmark = pytest.mark.integration

EXAMPLES = os.environ.get("BEACON_SCHEMATHESIS_EXAMPLES", "15")
SERVICES = ["ingest", "segments", "campaigns", "delivery", "stats"]
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_documents_say_the_truth(apis: Apis, service: str) -> None:
    url = apis.urls[service]
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
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
    assert proc.returncode == 0, f"schemathesis failed on {service}:\n{output[-12000:]}"


@pytest.mark.parametrize("service", SERVICES)
def test_asyncapi_document_is_served(apis: Apis, service: str) -> None:
    """Next to /docs, whatever the process's mode: the API processes here consume no
    event but document every queue their service consumes and every event it publishes."""
    with httpx.Client(base_url=apis.urls[service], timeout=30) as client:
        document = client.get("/asyncapi.json")
        page = client.get("/asyncapi")
    assert document.status_code == 200, document.text
    body = document.json()
    assert body["asyncapi"] == "3.0.0"
    actions = {op["action"] for op in body["operations"].values()}
    assert actions == {"send", "receive"}, actions
    assert page.status_code == 200 and "asyncapi" in page.text.lower()
