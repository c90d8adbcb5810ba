"""``python -m services.delivery api|worker|all|migrate [--port N]``."""

from pathlib import Path

from services.delivery.app import build_app
from services.delivery.settings import SERVICE, DeliverySettings
from shared.cli import run_service

if __name__ == "__main__":
    settings = DeliverySettings()
    run_service(
        SERVICE,
        settings,
        build_app,
        migrations_dir=Path(__file__).parent / "migrations",
        ports={
            "api": settings.delivery_port,
            "all": settings.delivery_port,
            "worker": settings.delivery_worker_port,
        },
    )
