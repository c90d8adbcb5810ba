"""``python -m simulators.vendor [--port N]``: serve the vendor simulator."""

from __future__ import annotations

import argparse

import uvicorn

from shared.logging import configure_logging, get_logger
from simulators.vendor.app import build_vendor_app
from simulators.vendor.settings import VendorSettings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m simulators.vendor")
    parser.add_argument("--port", type=int, default=None, help="override BEACON_VENDOR_PORT")
    args = parser.parse_args()
    settings = VendorSettings()
    configure_logging("vendor", settings.log_level, settings.log_json)
    port = args.port or settings.vendor_port
    get_logger("vendor").info("starting", port=port)
    uvicorn.run(
        build_vendor_app(settings),
        host=settings.host,
        port=port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
