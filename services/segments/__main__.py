"""``python -m services.segments api|worker|all|migrate|rebuild``."""

import asyncio
from pathlib import Path

from services.segments.app import build_app
from services.segments.rebuild import reset_read_model
from services.segments.settings import SERVICE, SegmentsSettings
from shared.cli import run_service

if __name__ == "__main__":
    settings = SegmentsSettings()
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
        extra_modes={"rebuild": lambda: asyncio.run(reset_read_model(settings))},
    )
