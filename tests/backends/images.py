"""Which container images the test backends run, and building the local ones.

``BEACON_TEST_IMAGES=local`` (default): images built on this machine from Debian's packages by
``deploy/scripts/build-images.sh`` (no registry needed; cached by a hash of their inputs).
``BEACON_TEST_IMAGES=registry``: the official ``mariadb:10.11`` and ``rabbitmq:3.13-management``
images, pulled from the registry.
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .engine import REPO, Engine, client_environment
from .errors import BackendError

LOG = logging.getLogger("beacon.tests.backends")

BUILD_SCRIPT = REPO / "deploy" / "scripts" / "build-images.sh"
BUILD_TIMEOUT_S = 900.0
LOCAL = "local"
REGISTRY = "registry"
REGISTRY_MARIADB = "mariadb:10.11"
REGISTRY_RABBITMQ = "rabbitmq:3.13-management"


@dataclass(frozen=True)
class ImageSet:
    """The images to run, and where they come from (``local`` or ``registry``)."""

    mariadb: str
    rabbitmq: str
    source: str


def image_source() -> str:
    """The value of ``BEACON_TEST_IMAGES`` (``local`` or ``registry``)."""
    source = (os.environ.get("BEACON_TEST_IMAGES") or LOCAL).strip().lower()
    if source not in {LOCAL, REGISTRY}:
        raise BackendError(f"BEACON_TEST_IMAGES must be 'local' or 'registry', not {source!r}")
    return source


def ensure_images(engine: Engine) -> ImageSet:
    """The images to run on ``engine``, built first when local and missing or outdated."""
    if image_source() == REGISTRY:
        return ImageSet(REGISTRY_MARIADB, REGISTRY_RABBITMQ, REGISTRY)
    tags = build_local_images(engine.docker_host)
    return ImageSet(tags["mariadb"], tags["rabbitmq"], LOCAL)


def build_local_images(docker_host: str, script: Path = BUILD_SCRIPT) -> dict[str, str]:
    """Run ``build-images.sh`` against ``docker_host``; returns ``{"base"|"mariadb"|...: tag}``."""
    try:
        proc = subprocess.run(
            ["bash", str(script)],
            env=client_environment(docker_host),
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BackendError(f"{script} took over {BUILD_TIMEOUT_S:.0f} s") from exc
    if proc.returncode != 0:
        raise BackendError(
            f"building the local test images failed ({script}, exit {proc.returncode}):\n"
            f"{proc.stderr[-6000:]}"
        )
    for line in proc.stderr.splitlines():
        LOG.info("%s", line)
    tags = dict(
        line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line and line.strip()
    )
    missing = {"mariadb", "rabbitmq"} - tags.keys()
    if missing:
        raise BackendError(f"{script} printed no tag for {sorted(missing)}: {proc.stdout!r}")
    return tags
