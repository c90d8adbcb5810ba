"""What an import has confirmed so far, kept in a small JSON file so ``--resume`` can go on.

Batches are sent several at a time and confirmed out of order; the state records the
*contiguous* prefix: every row up to ``confirmed_line`` was accepted (202) or reported bad,
and the id of the import (``POST /api/v1/imports``) the batches belong to, so a resumed run
adds to the same import (and one ``beacon imports undo`` takes all of it back). A resumed
import skips those rows and resends the rest. Resending a row that was in fact accepted is
harmless: an order with the same ``order_id`` and content changes nothing and customers are
upserted.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from beacon_cli.errors import CliError


@dataclass
class ImportState:
    file: str
    size: int
    kind: str
    confirmed_line: int = 0  # every row up to this line is settled
    sent: int = 0  # records accepted up to confirmed_line
    done: bool = False
    import_id: str | None = None  # the import the batches belong to

    def save(self, path: Path) -> None:
        # Write then rename: a kill mid-write leaves the previous state, never half a file.
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> ImportState | None:
        if not path.exists():
            return None
        try:
            return cls(**orjson.loads(path.read_bytes()))
        except (orjson.JSONDecodeError, TypeError) as error:
            raise CliError(
                f"the state file {path} is unreadable ({error}).",
                hint="delete it to start the import from the beginning.",
            ) from None


def fresh(source: Path, kind: str) -> ImportState:
    return ImportState(file=str(source.resolve()), size=source.stat().st_size, kind=kind)


def for_resume(path: Path, source: Path, kind: str) -> ImportState:
    """The saved state, checked to belong to this file; a fresh one when there is none."""
    saved = ImportState.load(path)
    if saved is None:
        return fresh(source, kind)
    if saved.file != str(source.resolve()) or saved.size != source.stat().st_size:
        raise CliError(
            f"the state file {path} belongs to {saved.file} ({saved.size} bytes), "
            f"not to this file.",
            hint="pass --state for this file, or drop --resume to start over.",
        )
    if saved.kind != kind:
        raise CliError(f"the state file {path} is for an import of {saved.kind}, not {kind}.")
    return saved
