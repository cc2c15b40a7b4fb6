"""JSON logs, one object a line, each carrying the request's correlation id."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from webkit.observability import CorrelationFilter


def configure(level: str) -> None:
    """Send every log record to stderr as JSON, with its correlation id."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(
        "{asctime}{levelname}{name}{message}{correlation_id}", style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    ))
    handler.addFilter(CorrelationFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
