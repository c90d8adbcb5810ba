"""The Postman collection: regenerated from the services' OpenAPI it equals the committed
one (else run ``make postman``), and newman runs it against a live suite, every request
passing its tests."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.support import auth_env, auth_headers, cli
from tests.support.processes import ROOT
from tests.support.stack import Stack
from tests.support.wait import eventually

TOOLS = ROOT / "tools" / "postman"
DOCS = ROOT / "docs" / "postman"
FILES = ("beacon.postman_collection.json", "beacon.postman_environment.json")


@pytest.fixture(scope="module")
def node_tools() -> Path:
    """tools/postman's npm packages (openapi-to-postmanv2, newman), installed from its lock."""
    assert shutil.which("npm"), "node and npm are needed (apt-get install nodejs npm)"
    if not (TOOLS / "node_modules" / ".bin" / "newman").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=TOOLS, check=True, timeout=600
        )
    return TOOLS / "node_modules" / ".bin"


def test_collection_is_generated_from_the_current_api(node_tools: Path, tmp_path: Path) -> None:
    subprocess.run(
        [str(TOOLS / "build.sh"), str(tmp_path)], check=True, timeout=300, capture_output=True
    )
    for name in FILES:
        assert (tmp_path / name).read_text() == (DOCS / name).read_text(), (
            f"docs/postman/{name} is stale: run `make postman` and commit it"
        )


@pytest.mark.integration
async def test_newman_runs_every_request_green(
    node_tools: Path, stack: Stack, tmp_path: Path
) -> None:
    urls = {
        "ingest": stack.start("ingest", "all").url,
        "segments": stack.start("segments", "all").url,
        "campaigns": stack.start("campaigns", "all").url,
        "stats": stack.start("stats", "all").url,
    }
    vendor = stack.start_vendor(BEACON_VENDOR_DELAY_MIN_S="0.05", BEACON_VENDOR_DELAY_MAX_S="0.2")
    urls["delivery"] = stack.start("delivery", "api").url
    stack.start(
        "delivery",
        "worker",
        BEACON_VENDOR_URL=vendor.url,
        BEACON_DELIVERY_PUBLIC_URL=urls["delivery"],
    )
    report = tmp_path / "newman.json"
    args = [
        str(node_tools / "newman"),
        "run",
        str(DOCS / FILES[0]),
        "-e",
        str(DOCS / FILES[1]),
        "--reporters",
        "cli,json",
        "--reporter-json-export",
        str(report),
        "--timeout-request",
        "30000",
    ]
    for service, url in urls.items():
        args += ["--env-var", f"{service}Url={url}"]
    if "BEACON_TOKEN" in auth_env(stack):  # once sign-in exists: a token the stack trusts
        args += ["--env-var", f"token={auth_env(stack)['BEACON_TOKEN']}"]
    run = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True, timeout=600)
    if run.returncode != 0:  # say what the suite thought of the collection's campaign
        async with httpx.AsyncClient(headers=auth_headers(stack)) as http:
            campaigns = (await http.get(f"{urls['campaigns']}/api/v1/campaigns")).text
        raise AssertionError(run.stdout[-5000:] + run.stderr[-2000:] + "\n" + campaigns[:3000])
    stats = json.loads(report.read_text())["run"]["stats"]
    assert stats["assertions"]["failed"] == 0 and stats["requests"]["failed"] == 0
    assert stats["assertions"]["total"] >= 27

    # The CLI's campaign views on the same suite: history, and live counters until done.
    env = {**auth_env(stack), **{f"BEACON_{s.upper()}_URL": u for s, u in urls.items()}}
    listed = cli("campaigns", "list", env=env)
    assert listed.returncode == 0 and "Postman" in listed.stdout, listed.stderr
    campaign_id = _campaign_id(urls["campaigns"], auth_headers(stack))
    final = await eventually(
        lambda: _stats(urls["stats"], campaign_id, auth_headers(stack)),
        lambda s: s.get("audience_size") and s["sent"] + s["failed"] == s["audience_size"],
        timeout=120,
        what="every message of the campaign final",
    )
    watched = cli("campaigns", "show", campaign_id, "--watch", "--until-done", env=env, timeout=120)
    assert watched.returncode == 0, watched.stderr
    assert f"sent {final['sent']:,}" in watched.stdout and "pending 0" in watched.stdout


async def _stats(stats_url: str, campaign_id: str, headers: dict[str, str]) -> dict[str, Any]:
    async with httpx.AsyncClient(headers=headers) as http:
        response = await http.get(f"{stats_url}/api/v1/stats/campaigns/{campaign_id}")
    return dict(response.json()) if response.status_code == 200 else {}


def _campaign_id(campaigns_url: str, headers: dict[str, str]) -> str:
    """The campaign the collection launched (the newest not a copy: the collection also
    duplicates it into a scheduled campaign and cancels that)."""
    items = httpx.get(
        f"{campaigns_url}/api/v1/campaigns", params={"limit": 10}, headers=headers
    ).json()["items"]
    launched = [c for c in items if c["name"].startswith("Postman ") and "copy" not in c["name"]]
    copies = [c for c in items if c["name"].startswith("Postman copy")]
    assert launched and copies and copies[0]["status"] == "cancelled", items
    return str(launched[0]["id"])
