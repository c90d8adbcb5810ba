"""Paths and loaders the deploy tests share."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
from functools import cache
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def load_script(name: str) -> ModuleType:
    """Import ``deploy/scripts/<name>.py`` (scripts are files, not a package)."""
    path = DEPLOY / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"deploy_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FAKE_KUBECTL = """#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
if args[:2] == ["get", "secret"]:
    sys.exit(0 if os.environ.get("SECRETS_EXIST") else 1)
if args[:3] == ["create", "secret", "generic"]:
    name = args[3]
    data = {}
    for arg in args[4:]:
        if arg.startswith("--from-literal="):
            key, _, value = arg.removeprefix("--from-literal=").partition("=")
            data[key] = value
    with open(os.path.join(os.environ["SECRETS_OUT"], name + ".json"), "w") as f:
        json.dump(data, f)
    print("kind: Secret")
else:
    sys.stdin.read()  # kubectl apply -f -
"""


def run_secrets_script(
    tmp: str, *args: str, exist: bool = False
) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]]]:
    """Run k8s-secrets.sh ARGS with a stand-in kubectl (Secrets already there if ``exist``):
    its outcome and the Secrets it applied (name -> data)."""
    root = Path(tmp)
    bin_dir, out = root / "bin", root / "secrets"
    bin_dir.mkdir(exist_ok=True)
    out.mkdir(exist_ok=True)
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(FAKE_KUBECTL)
    kubectl.chmod(kubectl.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "SECRETS_OUT": str(out)}
    env.pop("SECRETS_EXIST", None)
    if exist:
        env["SECRETS_EXIST"] = "1"
    done = subprocess.run(
        ["bash", str(DEPLOY / "scripts" / "k8s-secrets.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
    )
    return done, {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}


@cache
def script_secrets(namespace: str, tmp: str) -> dict[str, dict[str, str]]:
    """The Secrets k8s-secrets.sh applies on a first install: name -> data."""
    done, secrets = run_secrets_script(tmp, namespace, "mysql")
    assert done.returncode == 0, done.stderr
    return secrets
