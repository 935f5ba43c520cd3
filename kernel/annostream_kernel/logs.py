"""structlog setup: JSON lines on stderr with the correlation id bound per request."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from .tracing import add_trace_ids


def configure_logging(level: str = "info", fmt: str = "json", component: str = "") -> None:
    """Configure structlog and the stdlib root logger once per process."""
    lvl = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(stream=sys.stderr, level=lvl, format="%(message)s")
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            add_trace_ids,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    if component:
        structlog.contextvars.bind_contextvars(component=component)


def get_logger(name: str = "annostream") -> Any:
    """Return a bound structlog logger."""
    return structlog.get_logger(name)
