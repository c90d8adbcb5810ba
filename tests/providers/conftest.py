"""Prism serving Twilio's published OpenAPI document (tests/fixtures/providers/README.md),
shared by the provider tests."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "mocks"
TWILIO_DOC = ROOT / "tests" / "fixtures" / "providers" / "twilio_api_v2010_messages.json"
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "f" * 32


def prism_bin() -> Path:
    """tools/mocks' Prism, installed from its lock when missing."""
    assert shutil.which("npm"), "node and npm are needed"
    prism = TOOLS / "node_modules" / ".bin" / "prism"
    if not prism.exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=TOOLS, check=True, timeout=600
        )
    return prism


@pytest.fixture(scope="module")
def prism() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(prism_bin()), "mock", "-h", "127.0.0.1", "-p", str(port), str(TWILIO_DOC)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def twilio_up(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            await client.get(url)
        return True
    except httpx.HTTPError:
        return False
