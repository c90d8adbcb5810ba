"""RabbitMQ 4.1 or later, pinned, wherever Beacon deploys it (Compose and every Kubernetes
overlay): the queue policies and quorum-queue behaviour Beacon relies on are 4.x's, and an
unpinned image (or the Cluster Operator's default) changes version under a running system."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.deploy.support import DEPLOY
from tests.deploy.test_kubernetes import OVERLAYS, of_kind, render

PINNED = re.compile(r"^(?:[\w.\-/]+/)?rabbitmq:(\d+)\.(\d+)\.(\d+)(?:-management)?$")


def assert_pinned_4_1(image: str) -> None:
    found = PINNED.match(image)
    assert found, f"{image}: not pinned to a release (major.minor.patch)"
    major, minor, _ = (int(g) for g in found.groups())
    assert (major, minor) >= (4, 1), f"{image}: RabbitMQ {major}.{minor} < 4.1"


def test_compose_pins_rabbitmq_4_1() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    image = compose["services"]["rabbitmq"]["image"]
    default = re.fullmatch(r"\$\{BEACON_RABBITMQ_IMAGE:-(.+)\}", image)
    assert_pinned_4_1(default.group(1) if default else image)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubernetes_pins_rabbitmq_4_1(overlay: str) -> None:
    (cluster,) = of_kind(list(render(f"overlays/{overlay}")), "RabbitmqCluster").values()
    assert "image" in cluster["spec"], "the operator's default image is not a pin"
    assert_pinned_4_1(cluster["spec"]["image"])
