"""The command line every service shares: ``python -m services.<name> MODE``.

Modes: ``api``, ``worker``, ``all`` (both in one process) and ``migrate`` (upgrade the
schema and exit). Every mode but ``migrate`` upgrades the schema first, then serves.
"""

from __future__ import annotations

import argparse
import gc
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import uvicorn

from shared import tracing
from shared.logging import configure_logging, get_logger
from shared.migrations import SchemaBehind, check_at_head, upgrade
from shared.settings import ServiceSettings

# Young objects the cyclic GC lets pile up before a collection (Python's default is 700).
# An event or a request of 1,000 orders parses into ~1,000 dicts, so at 700 the collector
# ran about once per event, scanning the batch being built each time: about a fifth of the
# profiles projection's CPU, measured. Reference counting frees these objects anyway; the
# collector only matters for cycles, which it still finds, just less often.
GC_GEN0 = 50_000


def tune_gc() -> None:
    """Move everything alive at start (modules, app, settings) out of the collector's
    sight, and let it run less often: batches are big and short-lived."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0, *gc.get_threshold()[1:])


def run_service(
    service: str,
    settings: ServiceSettings,
    build_app: Callable[[str, Any], Any],
    *,
    migrations_dir: Path,
    ports: Mapping[str, int],
    extra_modes: Mapping[str, Callable[[], object]] | None = None,
    gc_tuned: bool = False,
) -> None:
    """``ports``: the serving modes and their default ports; ``extra_modes``: one-shot
    commands; ``gc_tuned``: see ``tune_gc`` (ingest and segments, where it was measured: in
    delivery's worker it raised the peak RSS, 135 -> 194 MiB on a 100,000 campaign)."""
    modes = [*ports, "migrate", *(extra_modes or {})]
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}")
    parser.add_argument("mode", choices=modes)
    parser.add_argument("--port", type=int, default=None, help="override the HTTP port")
    args = parser.parse_args()
    configure_logging(service, settings.log_level, settings.log_json)
    log = get_logger(service)
    if extra_modes and args.mode in extra_modes:
        extra_modes[args.mode]()
        return
    if settings.migrate_on_start or args.mode == "migrate":
        schema = settings.schema_name(service)
        upgrade(migrations_dir, settings.mysql_url, schema)
        log.info("schema_ready", schema=schema)
    else:
        try:
            newer = check_at_head(migrations_dir, settings.mysql_url, settings.schema_name(service))
        except SchemaBehind as error:
            log.error("schema_behind", reason=str(error))
            raise SystemExit(f"refusing to start: {error}") from None
        if newer:
            log.warning("schema_newer_than_code", reason=newer)
    if args.mode == "migrate":
        return
    port = args.port or ports[args.mode]
    # Before the app is built: its HTTP layer traces only if tracing is on by then.
    traced = tracing.configure_tracing(service, settings.otel_exporter_otlp_endpoint) is not None
    log.info("starting", mode=args.mode, port=port, tracing=traced)
    app = build_app(args.mode, settings)
    if gc_tuned:
        tune_gc()
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=port,
            log_config=None,
            access_log=False,
            loop="uvloop",
            http="httptools",
            timeout_graceful_shutdown=10,
        )
    finally:
        tracing.shutdown()  # export the spans still buffered
