"""``python -m services.ingest api|worker|all|migrate|replay``."""

import asyncio
from pathlib import Path

from services.ingest.app import build_app
from services.ingest.replay import replay_events
from services.ingest.settings import SERVICE, IngestSettings
from shared.cli import run_service

if __name__ == "__main__":
    settings = IngestSettings()
    run_service(
        SERVICE,
        settings,
        build_app,
        migrations_dir=Path(__file__).parent / "migrations",
        ports={
            "api": settings.ingest_port,
            "all": settings.ingest_port,
            "worker": settings.ingest_worker_port,
        },
        gc_tuned=True,
        extra_modes={"replay": lambda: asyncio.run(replay_events(settings))},
    )
