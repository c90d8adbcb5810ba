"""The mail catcher's settings (``BEACON_MAILCATCHER_*``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MailCatcherSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BEACON_", extra="ignore")

    host: str = "127.0.0.1"
    mailcatcher_port: int = 8025  # the page and its JSON API
    mailcatcher_smtp_port: int = 1025  # where delivery's SMTP channel sends
    # Messages kept (the oldest go first): a demo box, not an archive.
    mailcatcher_keep: Annotated[int, Field(ge=1, le=100_000)] = 2_000
    log_level: str = "INFO"
    log_json: bool = True
