"""``python -m services.stats api|worker|all|migrate|reconcile [--campaign ID] [--fix]``."""

import sys
from pathlib import Path

from services.stats import reconcile
from services.stats.app import build_app
from services.stats.settings import SERVICE, StatsSettings
from shared.cli import run_service

if __name__ == "__main__":
    settings = StatsSettings()
    if sys.argv[1:2] == ["reconcile"]:
        # shared.cli's parser knows no per-mode options, so reconcile parses its own.
        sys.exit(reconcile.main(sys.argv[2:], settings))
    run_service(
        SERVICE,
        settings,
        build_app,
        migrations_dir=Path(__file__).parent / "migrations",
        ports={
            "api": settings.stats_port,
            "all": settings.stats_port,
            "worker": settings.stats_worker_port,
        },
        extra_modes={"reconcile": lambda: sys.exit(reconcile.main([], settings))},
    )
