"""``python -m services.campaigns api|worker|all|migrate``."""

from pathlib import Path

from services.campaigns.app import build_app
from services.campaigns.settings import SERVICE, CampaignsSettings
from shared.cli import run_service

if __name__ == "__main__":
    settings = CampaignsSettings()
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
