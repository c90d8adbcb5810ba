"""Exceptions raised by the test backends."""

from __future__ import annotations

import pytest


class BackendError(RuntimeError):
    """The requested backends could not be started (never turned into a silent skip)."""


class FaultInjectionUnsupported(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """A fault (stop the broker, pause the DB) was asked of backends that cannot inject it.

    It is pytest's skip exception: a test that calls ``stop_broker()`` and friends on the
    ``env`` backends is reported as skipped, with the reason, without any handling on its part.
    Code outside a test can catch it as ``FaultInjectionUnsupported``.
    """

    def __init__(self, what: str, kind: str) -> None:
        super().__init__(
            msg=f"{what} needs the container backends (BEACON_TEST_BACKEND=containers); "
            f"these backends are {kind!r}",
            allow_module_level=True,
        )
