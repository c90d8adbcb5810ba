"""Container health check of a Beacon process: GET /healthz on the port its mode serves.

The image runs every process (api, worker, vendor) by its command, so the port is found from
the running ``python -m services.<name> <mode> [--port N]`` (or ``python -m simulators.vendor
[--port N]``) and the same settings the process reads (``BEACON_<NAME>_PORT``,
``BEACON_<NAME>_WORKER_PORT``, ``BEACON_VENDOR_PORT``). Only the standard library: it runs
every few seconds and must start fast.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

DEFAULTS = {"ingest": 8001, "segments": 8002, "campaigns": 8003, "delivery": 8004, "stats": 8005}


def service_command() -> list[str]:
    """The argv of the process started as ``python -m services.<name> ...`` (or
    ``simulators.<name>``) in this container."""
    for proc in sorted(Path("/proc").glob("[0-9]*"), key=lambda p: int(p.name)):
        try:
            argv = (proc / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if "-m" in argv and argv.index("-m") + 1 < len(argv):
            module = argv[argv.index("-m") + 1]
            if module.startswith(("services.", "simulators.")):
                return argv[argv.index("-m") + 1 :]
    raise SystemExit("no `python -m services.<name>` (or simulators.<name>) process here")


def port_of(argv: list[str]) -> int:
    if "--port" in argv:
        return int(argv[argv.index("--port") + 1])
    if argv[0] == "simulators.vendor":
        return int(os.environ.get("BEACON_VENDOR_PORT", 8009))
    service, mode = argv[0].split(".")[1], argv[1] if len(argv) > 1 else "api"
    if mode == "worker":
        key, default = f"BEACON_{service.upper()}_WORKER_PORT", DEFAULTS[service] + 100
    else:
        key, default = f"BEACON_{service.upper()}_PORT", DEFAULTS[service]
    return int(os.environ.get(key, default))


def main() -> int:
    url = f"http://127.0.0.1:{port_of(service_command())}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError as error:
        print(f"{url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
