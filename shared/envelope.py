"""The event envelope every Beacon message travels in (see ARCHITECTURE.md, Events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import to_jsonable_python

from shared.events import check, parse
from shared.logging import current_correlation_id

# Naive datetimes are UTC everywhere in Beacon (the databases store UTC), so they are
# written with their offset; keys may be str subclasses (SQLAlchemy's column names).
_JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def _at_most_64(value: str | None) -> str | None:
    return value[:64] if value else value


class Envelope(BaseModel):
    """An immutable fact: what happened, when, who said so, and the request it came from."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID
    type: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    occurred_at: datetime
    producer: str
    # Bounded like the outbox column; a foreign producer's longer id is cut, not refused.
    correlation_id: Annotated[str | None, AfterValidator(_at_most_64)] = None
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        # The payload (often 1,000 rows) is serialised once by orjson, not copied by pydantic.
        head = self.model_dump(mode="json", exclude={"payload"})
        head["payload"] = self.payload
        return orjson.dumps(head, default=to_jsonable_python, option=_JSON_OPTIONS)

    @classmethod
    def from_bytes(cls, body: bytes) -> Envelope:
        return cls.model_validate(orjson.loads(body))


def new_event(
    type: str,
    payload: dict[str, Any],
    producer: str,
    *,
    version: int = 1,
    event_id: uuid.UUID | None = None,
    correlation_id: str | None = None,
    check_catalogue: bool = True,
) -> Envelope:
    """Create an envelope stamped now, carrying the correlation id bound to this task.

    The payload must fit the event catalogue (``shared.events``): ValueError if not.
    ``check_catalogue=False`` makes what a foreign or broken producer might send (tests)."""
    if check_catalogue:
        check(type, version, payload)
    return Envelope(
        event_id=event_id or uuid.uuid4(),
        type=type,
        version=version,
        occurred_at=datetime.now(UTC),
        producer=producer,
        correlation_id=correlation_id or current_correlation_id(),
        payload=payload,
    )


P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class Received(Generic[P]):
    """An event as a consumer's handler gets it: the envelope (id, time, correlation id)
    and its payload as the catalogue's model (``shared.events``), checked once on arrival.
    A bulk event's rows are the plain dicts they arrived as (their keys checked)."""

    envelope: Envelope
    payload: P

    @staticmethod
    def of(envelope: Envelope, *, check_rows: bool = True) -> Received[Any]:
        """Parse ``envelope``'s payload with its spec; ValueError if it does not fit."""
        payload = parse(envelope.type, envelope.version, envelope.payload, check_rows=check_rows)
        return Received(envelope, payload)
