"""The relay's wakeup on PostgreSQL: a wait ends at the next insert into the event store, and
lasts its whole timeout when nothing is inserted."""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from commands import models
from commands.service import Request
from consumers.wakeup import LogWakeup
from roster.settings import Store
from tests.builders import onboard_body
from tests.conftest import make_settings, postgres_schema, service_on

pytestmark = pytest.mark.postgres


def test_a_wait_ends_at_the_next_insert_and_otherwise_lasts_its_timeout(tmp_path: Path) -> None:
    settings = make_settings(store=Store.POSTGRES, data_dir=tmp_path,
                             postgres_schema=f"test_{uuid.uuid4().hex[:12]}")
    with postgres_schema(settings), service_on(settings) as service:
        channel = getattr(service.recorder, "channel_name", "")
        with closing(LogWakeup(settings.postgres_conninfo(), channel)) as wakeup:
            started = time.monotonic()
            wakeup.wait(0.5)
            assert time.monotonic() - started >= 0.5, "nothing inserted: the whole timeout"

            def onboard() -> None:
                service.onboard(models.OnboardAgent(**onboard_body()), Request.by("c", "t"))

            insert = threading.Timer(0.2, onboard)
            started = time.monotonic()
            insert.start()
            wakeup.wait(60)
            insert.join()
            assert time.monotonic() - started < 30, "woken by the insert, not the timeout"
            started = time.monotonic()
            wakeup.wait(0.3)
            assert time.monotonic() - started >= 0.3, "the insert's notifications were all taken"


def test_a_wakeup_whose_connection_was_cut_listens_again(tmp_path: Path) -> None:
    settings = make_settings(store=Store.POSTGRES, data_dir=tmp_path,
                             postgres_schema=f"test_{uuid.uuid4().hex[:12]}")
    with postgres_schema(settings), service_on(settings) as service:
        channel = getattr(service.recorder, "channel_name", "")
        with closing(LogWakeup(settings.postgres_conninfo(), channel)) as wakeup:
            wakeup.wait(0.1)
            with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as admin:
                cut = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query ILIKE 'LISTEN%%' AND pid <> pg_backend_pid()").fetchall()
            assert cut, "the listening connection was found and cut"
            wakeup.wait(0.2)  # finds the connection gone: no error, a sleep
            wakeup.wait(0.1)  # listens again
            insert = threading.Timer(0.2, lambda: service.onboard(
                models.OnboardAgent(**onboard_body()), Request.by("c", "t")))
            started = time.monotonic()
            insert.start()
            wakeup.wait(60)
            insert.join()
            assert time.monotonic() - started < 30, "woken by the insert after reconnecting"
