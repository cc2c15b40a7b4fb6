"""Logs: JSON (one object a line, each carrying the request's correlation id) for the servers,
or readable lines for `roster dev` and the command line, where a person reads them (coloured by
rich on a terminal, plain when piped); `ROSTER_LOG_FORMAT` chooses for every process."""

from __future__ import annotations

import logging
import sys
from enum import StrEnum

from pythonjsonlogger.json import JsonFormatter
from rich.console import Console
from rich.logging import RichHandler

from webkit.observability import CorrelationFilter


class LogFormat(StrEnum):
    """How log records are written to stderr."""

    JSON = "json"
    HUMAN = "human"


def configure(level: str, log_format: LogFormat | None, *, person: bool = False) -> None:
    """Send every log record to stderr in `log_format` (unset: readable lines when a
    `person` reads them, JSON for a server), with its correlation id."""
    log_format = log_format or (LogFormat.HUMAN if person else LogFormat.JSON)
    handler: logging.Handler
    if log_format is LogFormat.HUMAN and sys.stderr.isatty():
        handler = RichHandler(console=Console(stderr=True), show_path=False, markup=False,
                              log_time_format="%H:%M:%S")
        handler.setFormatter(logging.Formatter("%(name)s  %(message)s"))
    elif log_format is LogFormat.HUMAN:  # piped or to a file: one plain line a record
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)-8s %(name)s  %(message)s", datefmt="%H:%M:%S"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter(
            "{asctime}{levelname}{name}{message}{correlation_id}", style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        ))
    handler.addFilter(CorrelationFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
