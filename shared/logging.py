"""structlog JSON logging with a correlation id carried through requests and events.

The correlation id lives in structlog's context variables: the HTTP middleware binds it per
request, a consumer binds the one from each envelope it handles, and every event created
while it is bound carries it on.
"""

from __future__ import annotations

import logging
import sys
import uuid

import structlog
from structlog.contextvars import bind_contextvars, get_contextvars

from shared.tracing import add_trace_ids


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Route stdlib and structlog output through one JSON renderer on stdout."""
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_trace_ids,  # trace_id and span_id of the current span, when tracing is on
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    bind_contextvars(service=service)
    # Libraries (uvicorn, aio-pika, faststream) log through stdlib; keep them quiet and structured.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=processors,
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.WARNING)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def bind_correlation_id(correlation_id: str | None) -> str:
    """Bind (or create) the correlation id for the current task and return it."""
    cid = correlation_id or new_correlation_id()
    bind_contextvars(correlation_id=cid)
    return cid


def current_correlation_id() -> str | None:
    value = get_contextvars().get("correlation_id")
    return str(value) if value else None


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
