"""``python -m services.campaigns api|worker|all|migrate``, and the ``keys`` and ``token``
commands (see ``commands.py``)."""

import sys
from pathlib import Path

from services.campaigns.app import build_app
from services.campaigns.commands import COMMANDS
from services.campaigns.commands import main as command
from services.campaigns.settings import SERVICE, CampaignsSettings
from shared.cli import run_service

if __name__ == "__main__":
    settings = CampaignsSettings()
    if len(sys.argv) > 1 and sys.argv[1] in COMMANDS:
        sys.exit(command(sys.argv[1:], settings))
    run_service(
        SERVICE,
        settings,
        build_app,
        migrations_dir=Path(__file__).parent / "migrations",
        ports={
            "api": settings.campaigns_port,
            "all": settings.campaigns_port,
            "worker": settings.campaigns_worker_port,
        },
    )
