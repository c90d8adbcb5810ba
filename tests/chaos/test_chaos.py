"""``make test-chaos``: the short chaos run (CI); ``make test-chaos-long`` the documented one.

Needs the container backends (``BEACON_TEST_BACKEND=containers`` or ``auto`` with Docker):
it restarts their RabbitMQ and MariaDB, never the machine's own. The table of faults and
invariants is printed and written to ``bench/results/chaos-<mode>.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends import Backends
from tests.chaos.config import chaos_config
from tests.chaos.run import run_chaos
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"


async def test_nothing_accepted_is_lost_or_stuck(backends: Backends, stack: Stack) -> None:
    if backends.kind != "containers":
        pytest.skip("the chaos run restarts RabbitMQ and MariaDB: it needs the container backends")
    config = chaos_config()
    result = await run_chaos(backends, stack, config)
    print("\n" + result.report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"chaos-{config.mode}.md").write_text(result.report + "\n")
    assert sum(result.faults.kills.values()) >= config.min_kills
    assert len(result.faults.broker_restarts) == 1 and len(result.faults.db_restarts) == 1
    failed = [t.invariant for t in result.tallies if not t.held]
    assert not failed, f"invariants broken: {failed}\n{result.report}"
