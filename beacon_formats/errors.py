"""The two ways reading can fail: the whole file (:class:`FormatError`, nothing is sent) or
one value (:class:`Unreadable`, which becomes a row's problem or warning)."""

from __future__ import annotations


class FormatError(Exception):
    """The file cannot be read as asked: a missing column, dates that read two ways, an
    unknown option. Said as a sentence and a hint, before anything is sent."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class Unreadable(ValueError):
    """One cell that cannot be read; ``reason`` says why, in words a shop owner knows."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
