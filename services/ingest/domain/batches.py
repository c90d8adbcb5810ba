"""A request body is one item or ``{"items": [...]}``; a batch stands or falls whole."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

MAX_BATCH = 10_000
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ItemError:
    index: int | None  # None when the body is a single item
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


class BatchTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"a batch holds at most {MAX_BATCH} items, got {size}")


class InvalidBatch(Exception):
    def __init__(self, errors: list[ItemError]) -> None:
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = errors


@dataclass(frozen=True)
class BatchParser(Generic[M]):
    """Validates a decoded JSON body into a list of models, or says what is wrong, all of it."""

    model: type[M]

    def parse(self, body: Any) -> list[M]:
        single = isinstance(body, dict) and "items" not in body
        if single:
            items: Any = [body]
        elif isinstance(body, dict):
            items = body["items"]
        else:
            items = body
        if not isinstance(items, list):
            raise InvalidBatch([ItemError(None, "items", "must be a list of objects")])
        if len(items) > MAX_BATCH:
            raise BatchTooLarge(len(items))
        if not items:
            raise InvalidBatch([ItemError(None, "items", "must hold at least one item")])
        try:
            return _adapter(self.model).validate_python(items)
        except ValidationError as error:
            raise InvalidBatch(_item_errors(error, single)) from None


@cache
def _adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    """Built once per model: building it costs more than validating a small request."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _item_errors(error: ValidationError, single: bool) -> list[ItemError]:
    found = []
    for e in error.errors(include_url=False):
        loc = list(e["loc"])
        index = int(loc.pop(0)) if loc and isinstance(loc[0], int) else None
        field = ".".join(str(part) for part in loc) or "(item)"
        message = e["msg"].removeprefix("Value error, ")
        found.append(ItemError(None if single else index, field, message))
    return found
