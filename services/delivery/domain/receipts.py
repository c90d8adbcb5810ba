"""The receipt callback body, validated: ``{"receipts": [{"message_id", "status", "at",
"reason"?}]}`` with 1 to 10,000 receipts. A callback stands or falls whole, and a bad one
answers 422 listing every problem as ``{index, field, message}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from services.delivery.domain.status import Receipt, Status
from shared.validation import UtcTime

MAX_RECEIPTS = 10_000
MAX_REASON = 500


@dataclass(frozen=True)
class ReceiptProblem:
    index: int | None
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


class InvalidReceipts(Exception):
    def __init__(self, problems: list[ReceiptProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _short_reason(value: Any) -> Any:
    # A long reason is the vendor's prose, not an error: keep the start rather than
    # rejecting the callback (which the vendor would retry forever).
    return value[:MAX_REASON] if isinstance(value, str) else value


class _ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    message_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    status: Literal["SENT", "FAILED"]
    # Bounded here, not by the database: an out-of-range time would fail the whole batch
    # of receipts it is applied with.
    at: UtcTime
    reason: Annotated[str | None, BeforeValidator(_short_reason)] = None


_RECEIPTS = TypeAdapter(list[_ReceiptIn])


def parse_receipts(body: Any) -> list[Receipt]:
    """Validate a decoded callback body; raise :class:`InvalidReceipts` with every problem."""
    if not isinstance(body, dict) or not isinstance(body.get("receipts"), list):
        raise InvalidReceipts([ReceiptProblem(None, "receipts", "must be a list of receipts")])
    items = body["receipts"]
    if not 1 <= len(items) <= MAX_RECEIPTS:
        raise InvalidReceipts(
            [ReceiptProblem(None, "receipts", f"must hold 1 to {MAX_RECEIPTS} receipts")]
        )
    try:
        parsed = _RECEIPTS.validate_python(items)
    except ValidationError as error:
        raise InvalidReceipts(_problems(error)) from None
    return [Receipt(r.message_id, Status(r.status), r.at, r.reason or None) for r in parsed]


def _problems(error: ValidationError) -> list[ReceiptProblem]:
    found = []
    for e in error.errors(include_url=False):
        loc = list(e["loc"])
        index = int(loc.pop(0)) if loc and isinstance(loc[0], int) else None
        field = ".".join(str(part) for part in loc) or "(receipt)"
        found.append(ReceiptProblem(index, field, e["msg"].removeprefix("Value error, ")))
    return found


def receipts_to_json(receipts: list[Receipt]) -> list[dict[str, Any]]:
    return [
        {
            "message_id": r.message_id,
            "status": r.status.value,
            "at": r.at.isoformat().replace("+00:00", "Z"),
            "reason": r.reason,
        }
        for r in receipts
    ]


def receipts_from_json(items: list[dict[str, Any]]) -> list[Receipt]:
    """The receipts of a ``receipt.received`` payload (validated again: it crossed a wire)."""
    return parse_receipts({"receipts": items})
