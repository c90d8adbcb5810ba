"""``python -m services.segments api|worker|all|migrate|rebuild``."""

import sys

from services.segments.settings import SERVICE, SegmentsSettings
from shared.settings import schema_url


def main() -> None:
    settings = SegmentsSettings()
    if settings.segments_cache and sys.argv[1:2] in (["api"], ["all"]):
        # Before the imports below (~3 s with start-up): the profile cache's loading
        # children read and encode meanwhile, and the cache collects them once it starts.
        from services.segments import cache_spawn

        cache_spawn.start_early(schema_url(settings.mysql_url, settings.schema_name(SERVICE)))

    import asyncio
    from pathlib import Path

    from services.segments.app import build_app
    from services.segments.rebuild import reset_read_model
    from shared.cli import run_service

    run_service(
        SERVICE,
        settings,
        build_app,
        migrations_dir=Path(__file__).parent / "migrations",
        ports={
            "api": settings.segments_port,
            "all": settings.segments_port,
            "worker": settings.segments_worker_port,
        },
        gc_tuned=True,
        extra_modes={"rebuild": lambda: asyncio.run(reset_read_model(settings))},
    )


if __name__ == "__main__":
    main()
