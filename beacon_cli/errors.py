"""The one error the CLI shows to people: a sentence saying what is wrong and what to do."""

from __future__ import annotations


class CliError(Exception):
    """Printed without a traceback; the command exits with ``code``."""

    def __init__(self, message: str, *, hint: str | None = None, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code
