"""The dashboard against a real suite: every service in a stack's namespace, the vendor
simulator, and `vite preview` serving the built app and proxying to that stack's ports.

Shared by the browser test (tests/ui/test_dashboard_e2e.py) and the dashboard benchmark
(bench/dashboard.py), so both start the same thing the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.processes import ROOT, free_port
from tests.support.stack import Stack
from tests.support.wait import eventually

FRONTEND = ROOT / "frontend"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


class MissingTool(RuntimeError):
    """Chromium or Node is not installed."""


def node() -> str:
    """The node binary (and a check that Chromium is there)."""
    if not os.path.exists(CHROMIUM):
        raise MissingTool(f"{CHROMIUM} is missing: apt-get install chromium")
    found = shutil.which("node")
    if found is None:
        raise MissingTool("node is not installed (the dashboard needs Node 20.19+)")
    return found


def ensure_built() -> None:
    """Build the app when there is no build or a source is newer than it (a stale build
    would test, or measure, yesterday's dashboard)."""
    built = FRONTEND / "dist" / "index.html"
    sources = [
        *(FRONTEND / "src").rglob("*"),
        *(FRONTEND / name for name in ("index.html", "vite.config.ts", "package-lock.json")),
    ]
    stamp = built.stat().st_mtime if built.exists() else 0.0
    if not built.exists() or any(p.is_file() and p.stat().st_mtime > stamp for p in sources):
        subprocess.run([str(ROOT / "deploy/scripts/ui.sh"), "build"], check=True)


def start_suite(stack: Stack, vendor: Mapping[str, str]) -> dict[str, str]:
    """Every service of ``stack`` (``all`` modes), the vendor simulator configured by
    ``vendor`` (``BEACON_VENDOR_*``) and delivery calling it; the api URL of each service."""
    # Segments loads its profile cache as it starts (tens of seconds at 1M profiles): the
    # others start meanwhile, and it gets longer to become ready.
    segments = stack.start("segments", "all", wait=False)
    urls = {
        "ingest": stack.start("ingest", "all").url,
        "campaigns": stack.start("campaigns", "all").url,
        "stats": stack.start("stats", "all").url,
    }
    simulator = stack.start_vendor(**vendor)
    delivery = stack.start("delivery", "api")
    stack.start(
        "delivery",
        "worker",
        BEACON_VENDOR_URL=simulator.url,
        BEACON_DELIVERY_PUBLIC_URL=delivery.url,
    )
    urls["delivery"] = delivery.url
    urls["vendor"] = simulator.url
    segments.wait_ready(timeout=600)
    urls["segments"] = segments.url
    return urls


def _port(url: str) -> str:
    return url.rsplit(":", 1)[1]


@dataclass
class Preview:
    """`vite preview` of the built dashboard on its own port, proxying to one suite."""

    process: subprocess.Popen[bytes]
    base_url: str
    env: dict[str, str]  # what node scripts need to reach it (ports, CHROMIUM_PATH, BASE_URL)

    def run_node(
        self, script: str, timeout: float, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        """``node <script>`` in frontend/ with this preview's environment."""
        return subprocess.run(
            [node(), script],
            cwd=FRONTEND,
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _spawn_preview(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [node(), "node_modules/vite/bin/vite.js", "preview", "--strictPort"],
            cwd=FRONTEND,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def start_preview(urls: Mapping[str, str], log_path: Path) -> Preview:
    """Start `vite preview` proxying to ``urls`` (from :func:`start_suite`); wait until it
    serves the app."""
    ui_port = free_port()
    base = f"http://127.0.0.1:{ui_port}"
    env = {
        **os.environ,
        "BEACON_UI_PORT": str(ui_port),
        "BEACON_INGEST_PORT": _port(urls["ingest"]),
        "BEACON_SEGMENTS_PORT": _port(urls["segments"]),
        "BEACON_CAMPAIGNS_PORT": _port(urls["campaigns"]),
        "BEACON_DELIVERY_PORT": _port(urls["delivery"]),
        "BEACON_STATS_PORT": _port(urls["stats"]),
        "BASE_URL": base,
        "CHROMIUM_PATH": CHROMIUM,
    }
    process = _spawn_preview(env, log_path)
    preview = Preview(process, base, env)

    async def index() -> int:
        if process.poll() is not None:
            raise RuntimeError(f"vite preview exited with {process.returncode}; see {log_path}")
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(f"{base}/signin")).status_code
        except httpx.HTTPError:
            return 0

    try:
        await eventually(index, lambda status: status == 200, timeout=30, what="vite preview up")
    except BaseException:
        preview.stop()
        raise
    return preview
