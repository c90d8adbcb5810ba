"""The two ways reading can fail: the whole file (:class:`FormatError`, nothing is sent) or
one value (:class:`Unreadable`, which becomes a row's problem or warning)."""

from __future__ import annotations


class FormatError(Exception):
    """The file cannot be read as asked: a missing column, dates that read two ways, an
    unknown option. Said as a sentence and a hint, before anything is sent. ``option``
    names what to set to read it (``date_format``, ``timezone``, ``map``, ``source``,
    ``kind``), None when the file itself is the problem."""

    def __init__(self, message: str, *, hint: str | None = None, option: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.option = option

    def sentence(self, *, flags: bool = True) -> str:
        """The message and hint; ``flags=False`` names options as an API's parameters
        (``date_format``) rather than the command line's (``--date-format``)."""
        text = self.message + (f" ({self.hint})" if self.hint else "")
        if not flags:
            for flag, name in _PARAMETERS.items():
                text = text.replace(flag, name)
        return text


_PARAMETERS = {
    "--date-format": "date_format",
    "--decimal-comma": "decimal_comma",
    "--timezone": "timezone",
    "--from": "source",
    "--map": "map",
}


class Unreadable(ValueError):
    """One cell that cannot be read; ``reason`` says why, in words a shop owner knows."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
