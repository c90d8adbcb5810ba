"""``python -m services.delivery api|worker|all|migrate|requeue [--port N]``.

``requeue``: a work item for every PENDING message that has none (``requeue.py``); run it
once after upgrading past migration 0004.
"""

import sys
from pathlib import Path

from services.delivery import requeue
from services.delivery.app import build_app
from services.delivery.settings import SERVICE, DeliverySettings
from shared.cli import run_service

if __name__ == "__main__":
    settings = DeliverySettings()
    if sys.argv[1:2] == ["requeue"]:
        sys.exit(requeue.main(sys.argv[2:], settings))
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
        extra_modes={"requeue": lambda: sys.exit(requeue.main([], settings))},
    )
