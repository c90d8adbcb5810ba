"""``python -m simulators.mailcatcher``: the SMTP sink and its page."""

from __future__ import annotations

import uvicorn

from shared.logging import configure_logging, get_logger
from simulators.mailcatcher.app import build_app
from simulators.mailcatcher.settings import MailCatcherSettings


def main() -> None:
    settings = MailCatcherSettings()
    configure_logging("mailcatcher", settings.log_level, settings.log_json)
    get_logger("mailcatcher").info(
        "starting", port=settings.mailcatcher_port, smtp_port=settings.mailcatcher_smtp_port
    )
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.mailcatcher_port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
