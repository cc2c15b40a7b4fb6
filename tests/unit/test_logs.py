"""Logs: JSON for the servers; readable lines for a person, coloured on a terminal."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from roster import logs
from roster.logs import LogFormat


class Terminal(io.StringIO):
    """Standard error as a terminal shows it."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_server_writes_one_json_object_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    logs.configure("INFO", None)
    logging.getLogger("roster.test").info("relay caught up")
    record = json.loads(err.getvalue())
    assert (record["level"], record["logger"], record["message"]) == (
        "INFO", "roster.test", "relay caught up")


def test_a_person_reads_plain_lines_when_piped(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    logs.configure("INFO", None, person=True)
    logging.getLogger("roster.test").warning("rebuild resumed at position %d", 42)
    line = err.getvalue()
    assert line.count("\n") == 1
    assert "WARNING  roster.test  rebuild resumed at position 42" in line
    assert "\x1b[" not in line, "no colour codes in a pipe"
    assert "{" not in line, "not JSON"


def test_a_person_reads_coloured_lines_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    logs.configure("INFO", LogFormat.HUMAN)
    logging.getLogger("roster.test").error("broker unreachable")
    shown = err.getvalue()
    assert "\x1b[" in shown, "coloured"
    assert "roster.test  broker unreachable" in shown
    assert "ERROR" in shown
