"""Run ``rabbitmqctl`` against the test broker: inside its container, or the machine's own CLI.

The test images have no management plugin, so definitions are imported and exported with the
CLI: ``docker exec`` into the RabbitMQ container when the tests run on containers, the local
``rabbitmqctl`` when they use the machine's broker (``BEACON_TEST_BACKEND=env``).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from typing import Any

import pytest

from tests.backends import Backends


class RabbitCtl:
    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self.container: Any = None
        if backends.kind == "containers":
            self.container = backends.controller.broker.wrapped  # type: ignore[union-attr]
        elif shutil.which("rabbitmqctl") is None:
            pytest.fail("BEACON_TEST_BACKEND=env needs the rabbitmqctl of the broker's machine")

    def run(self, *args: str, stdin_file: str | None = None) -> str:
        """``rabbitmqctl ARGS``; ``stdin_file``: a document written to a file the CLI reads."""
        if self.container is not None:
            cmd = ["rabbitmqctl", *args]
            if stdin_file is not None:
                encoded = base64.b64encode(stdin_file.encode()).decode()
                script = f"echo {encoded} | base64 -d > /tmp/defs.json && rabbitmqctl {' '.join(args)} /tmp/defs.json"
                cmd = ["bash", "-c", script]
            code, output = self.container.exec_run(cmd)
            text = output.decode(errors="replace")
            assert code == 0, f"rabbitmqctl {args}: {text}"
            return text
        with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
            extra: list[str] = []
            if stdin_file is not None:
                file.write(stdin_file)
                file.flush()
                os.chmod(file.name, 0o644)  # the CLI runs as the rabbitmq user
                extra = [file.name]
            done = subprocess.run(
                ["rabbitmqctl", *args, *extra], capture_output=True, text=True, timeout=60
            )
        assert done.returncode == 0, f"rabbitmqctl {args}: {done.stdout}{done.stderr}"
        return done.stdout

    def export(self) -> dict[str, Any]:
        text = self.run("export_definitions", "-", "--format", "json", "--silent")
        return json.loads(text[text.index("{") :])
