"""The relay's wakeup on PostgreSQL: a wait ends at the next insert into the event store, lasts
its whole timeout when nothing is inserted, and survives its connection being cut."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from commands import models
from commands.service import AgentService, Request
from consumers.wakeup import LogWakeup
from roster.settings import Settings, Store
from tests.builders import onboard_body
from tests.conftest import make_settings, postgres_schema, service_on

pytestmark = pytest.mark.postgres

Listening = tuple[Settings, AgentService, LogWakeup]


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[Listening]:
    """A store, its service, and a wakeup on its channel."""
    settings = make_settings(store=Store.POSTGRES, data_dir=tmp_path,
                             postgres_schema=f"test_{uuid.uuid4().hex[:12]}")
    with postgres_schema(settings), service_on(settings) as service:
        channel = getattr(service.recorder, "channel_name", "")
        with closing(LogWakeup(settings.postgres_conninfo(), channel)) as wakeup:
            yield settings, service, wakeup


def seconds_to_wake_at_an_insert(service: AgentService, wakeup: LogWakeup) -> float:
    """How long a wait of a minute lasts when an onboarding is saved 0.2 s into it."""
    insert = threading.Timer(0.2, lambda: service.onboard(
        models.OnboardAgent(**onboard_body()), Request.by("c", "t")))
    started = time.monotonic()
    insert.start()
    wakeup.wait(60)
    insert.join()
    return time.monotonic() - started


def test_a_wait_ends_at_the_next_insert_and_otherwise_lasts_its_timeout(
    listening: Listening,
) -> None:
    _, service, wakeup = listening
    started = time.monotonic()
    wakeup.wait(0.5)
    assert time.monotonic() - started >= 0.5, "nothing inserted: the whole timeout"
    assert seconds_to_wake_at_an_insert(service, wakeup) < 30, "woken by the insert"
    started = time.monotonic()
    wakeup.wait(0.3)
    assert time.monotonic() - started >= 0.3, "the insert's notifications were all taken"


def test_a_wakeup_whose_connection_was_cut_listens_again(listening: Listening) -> None:
    settings, service, wakeup = listening
    wakeup.wait(0.1)
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as admin:
        cut = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE query ILIKE 'LISTEN%%' AND pid <> pg_backend_pid()").fetchall()
    assert cut, "the listening connection was found and cut"
    wakeup.wait(0.2)  # finds the connection gone: no error, a sleep
    wakeup.wait(0.1)  # listens again
    assert seconds_to_wake_at_an_insert(service, wakeup) < 30, "woken after reconnecting"
