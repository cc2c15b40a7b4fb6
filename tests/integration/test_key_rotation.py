"""`roster keys rotate` killed (SIGKILL) part-way leaves every data key readable under the old
or the new master key; run again, it finishes, and every key is the one it was (both stores)."""

from __future__ import annotations

import os
import signal
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from uuid import UUID

import psycopg
from pydantic import SecretStr

from commands.data_keys import DataKeys, MasterKey
from commands.key_tables import TABLE, key_table
from commands.service import AgentService
from roster.settings import Settings, Store
from tests.pipeline.conftest import Roster
from tests.pipeline.workload import wait_for

KEYS = 30_000


def _stored(settings: Settings, rows: list[tuple[UUID, bytes, str]]) -> None:
    """Write many wrapped keys at once (as that many onboardings would)."""
    if settings.store is Store.SQLITE:
        with closing(sqlite3.connect(settings.data_dir / "events.db")) as db, db:
            db.executemany(f"INSERT INTO {TABLE} (agent_id, wrapped, master_id) "
                           "VALUES (?, ?, ?)", [(str(a), w, m) for a, w, m in rows])
        return
    with psycopg.connect(settings.postgres_conninfo()) as conn, conn.cursor() as cur:
        cur.executemany(f'INSERT INTO "{settings.postgres_schema}".{TABLE} '
                        "(agent_id, wrapped, master_id) VALUES (%s, %s, %s)", rows)


def _under(settings: Settings, master_id: str) -> int:
    query = f"SELECT count(*) FROM {TABLE} WHERE master_id = '{master_id}'"
    if settings.store is Store.SQLITE:
        with closing(sqlite3.connect(settings.data_dir / "events.db")) as db:
            return int(db.execute(query).fetchone()[0])
    with psycopg.connect(settings.postgres_conninfo()) as conn:
        conn.execute(f'SET search_path = "{settings.postgres_schema}"')
        found = conn.execute(query).fetchone()
        return int(found[0]) if found else 0


def test_a_rotation_killed_part_way_loses_no_key_and_finishes_when_run_again(
    settings: Settings, service: AgentService, tmp_path: Path
) -> None:
    old = MasterKey(settings.master_keys[0])
    keys = {uuid.uuid4(): os.urandom(32) for _ in range(KEYS)}
    _stored(settings, [(a, old.wrap(a, k), old.key_id) for a, k in keys.items()])
    rotated = settings.model_copy(update={"master_key": SecretStr("n" * 40)})
    new = MasterKey(rotated.master_keys[0])
    roster = Roster(rotated, tmp_path)

    job = roster.start("keys", "rotate")
    assert wait_for(lambda: _under(settings, new.key_id) > 0, every=0.01), "it started"
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert 0 < _under(settings, new.key_id) < KEYS, "killed part-way"
    table = key_table(service.factory.datastore)  # type: ignore[attr-defined]
    assert DataKeys(table, [new, old], ttl=0).refresh(keys) == keys, "every key still reads"

    again = roster.run("keys", "rotate")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith(f"under master key {new.key_id}")
    assert _under(settings, new.key_id) == KEYS
    assert DataKeys(table, [new], ttl=0).refresh(keys) == keys, "the old master is not needed"
