"""deploy/compose.yaml brought up for real: one campaign end to end, then torn down.

On this machine there is no registry and the tests' Docker engine has no bridge network, so
an override file (written here) switches every container to host networking on free ports and
to locally built images: the app image from deploy/docker/Dockerfile on the debootstrap base,
and the test MariaDB and RabbitMQ images of deploy/images. Everything else is compose.yaml as
shipped: the per-service database users (created by deploy/mysql/create-users.sh), the
migration job, RabbitMQ's boot-time definitions with the user made by
deploy/rabbitmq/entrypoint.sh, the health-checked start order. The dashboard runs its nginx
template on Debian's nginx (tests/deploy/nginx; the UI's files are a stand-in page, frontend/
being built elsewhere), and every API call and the stats WebSocket go through it, so the path
prefixes and the WebSocket upgrade are checked too. ``down -v`` removes containers and volumes
whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import secrets
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth.signing import private_pem, public_pem
from tests.backends import selected_backend
from tests.backends.containers import free_port
from tests.backends.engine import acquire_engine
from tests.backends.images import build_local_images
from tests.deploy.compose import compose
from tests.deploy.support import DEPLOY, REPO
from tests.support import auth
from tests.support.wait import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICES = ("ingest", "segments", "campaigns", "delivery", "stats")
PROCESSES = [f"{s}-{m}" for s in SERVICES for m in ("api", "worker")] + ["vendor"]
APP_IMAGE = "beacon-test/app:compose"
NGINX_IMAGE = "beacon-test/nginx:compose"
HERE = Path(__file__).resolve().parent
CUSTOMERS = 120
SIGNING_KEY = Ed25519PrivateKey.generate()  # the stack's, given to it through its env file


def build_app_image(docker_host: str, base: str) -> None:
    """The app image on the local base; trusts this machine's extra CAs while downloading
    packages (PyPI may be behind a TLS-inspecting proxy)."""
    extra_ca = "".join(
        Path(p).read_text() for p in sorted(glob.glob("/usr/local/share/ca-certificates/*.crt"))
    )
    done = subprocess.run(
        ["docker", "-H", docker_host, "build", "--network", "host", "-f", str(DEPLOY / "docker" / "Dockerfile"),
         "--build-arg", f"BASE_IMAGE={base}", "--build-arg", f"EXTRA_CA_CERT={extra_ca}", "-t", APP_IMAGE, str(REPO)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def build_nginx_image(docker_host: str, base: str) -> None:
    done = subprocess.run(
        ["docker", "-H", docker_host, "build", "--network", "host", "--build-arg", f"BASE_IMAGE={base}",
         "-t", NGINX_IMAGE, str(HERE / "nginx")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def override(images: dict[str, str], ports: dict[str, int], site: Path) -> dict[str, Any]:
    """Host networking, local images, each process on its own free port."""
    host = {"network_mode": "host", "ports": [], "pull_policy": "never"}
    env = {
        "BEACON_VENDOR_URL": f"http://127.0.0.1:{ports['vendor']}",
        "BEACON_DELIVERY_PUBLIC_URL": f"http://127.0.0.1:{ports['delivery-api']}",
        "BEACON_VENDOR_PORT": str(ports["vendor"]),
        "BEACON_VENDOR_CALLBACK_HOSTS": "127.0.0.1",
        "BEACON_VENDOR_DELAY_MIN_S": "0.05",
        "BEACON_VENDOR_DELAY_MAX_S": "0.3",
        **{f"BEACON_{s.upper()}_PORT": str(ports[f"{s}-api"]) for s in SERVICES},
        **{f"BEACON_{s.upper()}_WORKER_PORT": str(ports[f"{s}-worker"]) for s in SERVICES},
    }
    db = f"-h127.0.0.1 -P{ports['mariadb']} -ubeacon -pbeacon"
    services: dict[str, Any] = {
        name: {**host, "image": APP_IMAGE, "environment": env} for name in [*PROCESSES, "migrate"]
    }
    services["mariadb"] = {
        **host,
        "image": images["mariadb"],
        "environment": {"MARIADB_PORT": str(ports["mariadb"])},
        "healthcheck": {"test": ["CMD-SHELL", f"mariadb {db} -e 'SELECT 1'"], "interval": "1s"},
    }
    # The official image runs create-users.sh at its first start; the test image does not.
    services["db-users"] = {
        **host,
        "image": images["mariadb"],
        "entrypoint": ["/deploy/mysql/create-users.sh"],
        "environment": {
            "BEACON_DB_ADMIN_ARGS": db,
            **{
                f"BEACON_{u.upper()}_DB_PASSWORD": f"${{BEACON_{u.upper()}_DB_PASSWORD}}"
                for u in ("migrator", *SERVICES)
            },
        },
        "volumes": [f"{DEPLOY / 'mysql'}:/deploy/mysql:ro"],
        "depends_on": {"mariadb": {"condition": "service_healthy"}},
    }
    services["migrate"]["depends_on"] = {
        "db-users": {"condition": "service_completed_successfully"}
    }
    services["rabbitmq"] = {
        **host,
        "image": images["rabbitmq"],
        "hostname": "!reset",
        "entrypoint": ["/etc/beacon/rabbitmq/entrypoint.sh", "/usr/local/bin/beacon-rabbitmq"],
        "command": "!reset",
        "environment": {
            "RABBITMQ_NODE_PORT": str(ports["amqp"]),
            "ERL_EPMD_PORT": str(ports["epmd"]),
            "RABBITMQ_DIST_PORT": str(ports["dist"]),
        },
        # The CLI would need the node's cookie; the AMQP listener is up once definitions are in.
        "healthcheck": {
            "test": ["CMD", "bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{ports['amqp']}"],
            "interval": "1s",
        },
    }
    services["dashboard"] = {
        **host,
        "image": NGINX_IMAGE,
        "environment": {
            "BEACON_DASHBOARD_LISTEN": str(ports["dashboard"]),
            **{f"BEACON_{s.upper()}_API": f"127.0.0.1:{ports[f'{s}-api']}" for s in SERVICES},
        },
        "volumes": [
            f"{DEPLOY / 'docker' / 'nginx' / 'default.conf.template'}:/etc/nginx/templates/default.conf.template:ro",
            f"{site}:/usr/share/nginx/html:ro",
        ],
    }
    return {"services": services}


def write_override(path: Path, document: dict[str, Any]) -> None:
    text = yaml.safe_dump(document, sort_keys=False)
    # Compose's !reset tag (drop a value of the base file) has no plain-YAML spelling.
    path.write_text(text.replace("'!reset'", "!reset null"))


@contextlib.contextmanager
def compose_stack(workdir: Path) -> Iterator[ComposeStack]:
    """Build the images, bring the stack up (health-checked), yield it, always tear it down."""
    engine = acquire_engine()
    try:
        images = build_local_images(engine.docker_host)
        build_app_image(engine.docker_host, images["base"])
        build_nginx_image(engine.docker_host, images["base"])
        names = ["mariadb", "amqp", "epmd", "dist", "dashboard", *PROCESSES]
        ports = {name: free_port() for name in names}
        site = workdir / "site"
        site.mkdir()
        (site / "index.html").write_text("<!doctype html><title>Beacon</title>")
        override_file = workdir / "compose.override.yaml"
        write_override(override_file, override(images, ports, site))
        env_file = workdir / "stack.env"
        passwords = {
            "MARIADB_ROOT_PASSWORD": "unused-by-the-test-image",
            **{
                f"BEACON_{u.upper()}_DB_PASSWORD": secrets.token_hex(12)
                for u in ("migrator", *SERVICES)
            },
            "BEACON_RABBITMQ_PASSWORD": secrets.token_hex(12),
            "BEACON_VENDOR_SECRET": secrets.token_hex(16),
            "BEACON_UNSUBSCRIBE_SECRET": secrets.token_hex(16),
            # Sign-in keys, one line each as deploy/.env.example shows.
            "BEACON_AUTH_SIGNING_KEY": private_pem(SIGNING_KEY).replace("\n", ""),
            "BEACON_AUTH_PUBLIC_KEYS": public_pem(SIGNING_KEY.public_key()).replace("\n", ""),
            "BEACON_AUTH_KEY_PEPPER": secrets.token_hex(16),
        }
        settings = {
            **passwords,
            "BEACON_DB_HOST": "127.0.0.1",
            "BEACON_DB_PORT": str(ports["mariadb"]),
            "BEACON_RABBITMQ_HOST": "127.0.0.1",
            "BEACON_RABBITMQ_PORT": str(ports["amqp"]),
            "BEACON_LOG_LEVEL": "WARNING",
            "BEACON_ENV": "development",
        }
        env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        stack = ComposeStack(
            {name: f"http://127.0.0.1:{port}" for name, port in ports.items()},
            {
                "files": [override_file],
                "env_file": env_file,
                "project": f"beacontest{uuid.uuid4().hex[:8]}",
                "docker_host": engine.docker_host,
            },
        )
        try:
            up = stack.compose("up", "-d", "--no-build", "--pull", "never",
                               *PROCESSES, "dashboard", check=False, timeout=420)  # fmt: skip
            if up.returncode != 0:
                pytest.fail(
                    f"compose up failed:\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}\n{stack.logs()}"
                )
            stack.wait_ready()
            yield stack
        finally:
            down = stack.compose(
                "down", "-v", "--remove-orphans", "-t", "10", check=False, timeout=300
            )
            assert down.returncode == 0, down.stderr
    finally:
        engine.release()


@dataclass
class ComposeStack:
    urls: dict[str, str]  # by process name (ingest-api, ...) and backend
    kw: dict[str, Any]

    def compose(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        return compose(*args, **self.kw, **kw)

    def wait_ready(self, timeout: float = 240) -> None:
        """Every process answers /readyz 200 (database and broker reachable): polled, because
        ``up --wait`` does not wait for services still held back by their dependencies."""
        deadline = time.monotonic() + timeout
        waiting = [*PROCESSES, "dashboard"]
        while waiting:
            try:
                path = "/healthz" if waiting[0] == "dashboard" else "/readyz"
                if httpx.get(f"{self.urls[waiting[0]]}{path}", timeout=2).status_code == 200:
                    waiting.pop(0)
                    continue
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{waiting} not ready after {timeout} s:\n{self.compose('ps', '-a').stdout}\n{self.logs()}"
                )
            time.sleep(0.5)

    def logs(self, tail: int = 40) -> str:
        return self.compose("logs", "--no-color", "--tail", str(tail), check=False).stdout[-20000:]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ComposeStack]:
    if selected_backend() == "env":
        # Like the fault-injection tests: reported as skipped, with the reason.
        pytest.skip("the Compose stack needs a Docker engine (BEACON_TEST_BACKEND=env chosen)")
    with compose_stack(tmp_path) as started:
        yield started


async def test_one_campaign_through_the_compose_stack(stack: ComposeStack) -> None:
    try:
        await run_one_campaign(stack.urls)
    except BaseException:
        print(stack.logs())  # shown by pytest with the failure
        raise


async def run_one_campaign(urls: dict[str, str]) -> None:
    """Customers and orders in, a campaign out, every log row final and the counters equal to
    the log; every call through the dashboard's origin (its nginx proxies by path prefix)."""
    origin = urls["dashboard"]
    customers = [
        {"customer_id": f"cs-{i}", "name": f"Asha {i}", "email": f"a{i}@example.in"}
        for i in range(CUSTOMERS)
    ]
    orders = [
        {"order_id": f"co-{i}", "customer_id": f"cs-{i}", "amount": f"{100 + i}.00", "ordered_at": "2026-10-01T10:00:00Z"}
        for i in range(CUSTOMERS)
    ]  # fmt: skip
    rules = {
        "combinator": "and",
        "rules": [{"field": "total_spend", "operator": ">=", "value": 150}],
    }
    audience = sum(1 for i in range(CUSTOMERS) if 100 + i >= 150)
    token = auth.mint("admin", key=SIGNING_KEY)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=origin, timeout=30, headers=headers) as client:
        for path, items in (("/api/v1/customers", customers), ("/api/v1/orders", orders)):
            response = await client.post(path, json={"items": items})
            assert response.status_code == 202, response.text

        async def preview() -> int:
            response = await client.post("/api/v1/segments/preview", json={"rules": rules})
            return int(response.json()["size"]) if response.status_code == 200 else -1

        await eventually(
            preview, lambda n: n == audience, timeout=120, interval=0.5, what="profiles"
        )
        created = await client.post(
            "/api/v1/campaigns",
            json={"name": "Compose", "rules": rules, "message": "Hi {first_name}, 10% off!"},
        )
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]

        async def log() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = []
            cursor = None
            while True:
                params = {
                    "campaign_id": campaign_id,
                    "limit": 1000,
                    **({"cursor": cursor} if cursor else {}),
                }
                page = (await client.get("/api/v1/communications", params=params)).json()
                items += page["items"]
                cursor = page["next_cursor"]
                if not cursor:
                    return items

        rows = await eventually(
            log,
            lambda r: len(r) == audience and all(x["status"] in {"SENT", "FAILED"} for x in r),
            timeout=180,
            interval=1.0,
            what="every log row final",
        )
        assert all(r["message"] == "Hi Asha, 10% off!" for r in rows)
        sent = sum(1 for r in rows if r["status"] == "SENT")

        async def stats() -> dict[str, Any]:
            return dict((await client.get(f"/api/v1/stats/campaigns/{campaign_id}")).json())

        final = await eventually(
            stats,
            lambda s: s.get("pending") == 0 and s.get("sent", 0) + s.get("failed", 0) == audience,
            timeout=60,
            interval=0.5,
            what="stats final",
        )
        assert (final["audience_size"], final["sent"], final["failed"]) == (
            audience,
            sent,
            audience - sent,
        )
        assert (await client.get("/campaigns/whatever")).status_code == 200  # the SPA's fallback

    # The live counters over the WebSocket, through the same origin: a subscription gets the
    # campaign's current snapshot at once.
    ws_url = origin.replace("http://", "ws://") + f"/api/v1/stats/ws?access_token={token}"
    async with websockets.connect(ws_url, open_timeout=10) as socket:
        await socket.send(json.dumps({"type": "subscribe", "campaign_ids": [campaign_id]}))
        async with asyncio.timeout(30):
            while True:
                message = json.loads(await socket.recv())
                if (
                    message["type"] == "campaign_stats"
                    and message["data"]["campaign_id"] == campaign_id
                ):
                    break
    assert (message["data"]["sent"], message["data"]["failed"]) == (sent, audience - sent)
