"""The prod overlay boots: every Deployment's environment, as Kubernetes would assemble it from
the rendered ConfigMaps and the Secrets that ``deploy/scripts/k8s-secrets.sh`` creates, passes
its service's production guards.

Each process's environment is the rendered ``envFrom`` (ConfigMaps from the overlay, Secrets
from the script, run here with a stand-in ``kubectl`` that records what it would apply) plus its
``env`` values. That environment is loaded into the service's settings class and the service's
app is built for the Deployment's mode, which is where every start-up guard runs
(``BEACON_ENV=production``: Google client id, allow-list, signing keys, key pepper, vendor
secret...). Nothing connects to a database or broker: building the app does not.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import pytest

from tests.deploy.support import script_secrets
from tests.deploy.test_kubernetes import of_kind, render


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    return script_secrets("beacon", str(tmp_path_factory.mktemp("k8s-secrets")))


def prod_docs() -> list[dict[str, Any]]:
    return list(render("overlays/prod"))


def environment(
    container: dict[str, Any],
    config_maps: dict[str, dict[str, Any]],
    secrets: dict[str, dict[str, str]],
) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in config_maps, f"ConfigMap {name} is not rendered"
            env.update({k: str(v) for k, v in config_maps[name].get("data", {}).items()})
        else:
            name = source["secretRef"]["name"]
            assert name in secrets, f"Secret {name}: k8s-secrets.sh does not create it"
            env.update(secrets[name])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
        elif "secretKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secrets[ref["name"]][ref["key"]]
    return env


def service_processes() -> list[tuple[str, str, str]]:
    """(deployment, service, mode) of every Beacon service Deployment in the prod overlay."""
    found = []
    for name, deployment in of_kind(prod_docs(), "Deployment").items():
        command = deployment["spec"]["template"]["spec"]["containers"][0].get("command", [])
        if command[:2] == ["python", "-m"] and command[2].startswith("services."):
            found.append((name, command[2].split(".")[1], command[3]))
    return sorted(found)


def test_every_service_process_is_checked() -> None:
    assert len(service_processes()) == 10


@pytest.mark.parametrize(("deployment", "service", "mode"), service_processes())
def test_prod_environment_passes_the_production_guards(
    deployment: str,
    service: str,
    mode: str,
    secrets: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = prod_docs()
    container = of_kind(docs, "Deployment")[deployment]["spec"]["template"]["spec"]["containers"][0]
    env = environment(container, of_kind(docs, "ConfigMap"), secrets)
    for key in list(os.environ):
        if key.startswith("BEACON_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings_module = importlib.import_module(f"services.{service}.settings")
    app_module = importlib.import_module(f"services.{service}.app")
    (settings_class,) = [
        v
        for k, v in vars(settings_module).items()
        if k.endswith("Settings") and k != "ServiceSettings" and isinstance(v, type)
    ]
    settings = settings_class(_env_file=None)
    assert settings.production, f"{deployment}: BEACON_ENV={settings.env!r} is not production"
    assert settings.mysql_url.startswith("mysql+asyncmy://beacon_")
    assert "@beacon-rabbitmq" in settings.amqp_url
    assert settings.auth_key_pepper and settings.auth_public_keys
    assert not settings.migrate_on_start  # the migration Job's user does the DDL
    if service == "campaigns" and mode == "api":
        assert settings.auth_google_client_id and settings.auth_signing_key
        assert settings.auth_admin_emails, "an allow-list without admins: first to sign in is admin"
        assert settings.ui_origin.startswith("https://")
    app_module.build_app(mode, settings)  # raises on a setting production refuses
