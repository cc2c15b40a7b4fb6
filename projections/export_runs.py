"""Export definitions, runs and disclosures, kept beside the registry of generations (in the
read-model database, the same SQL on PostgreSQL and SQLite).

A run is a job: `queued` until a worker claims it, `running` under the worker's lease (renewed
with each progress report), then `succeeded`, `failed` or, once its file is removed,
`expired`. A run whose lease ran out is claimed again and starts over, up to `MAX_ATTEMPTS`;
every write of a worker names it, so a worker that lost its lease changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from projections.audit import AuditEntry
from projections.db import Cursor, StoreKind, store_of, write_rows
from projections.exports import Definition
from projections.jsonb import dumps
from projections.window import Window

DDL = """
CREATE TABLE IF NOT EXISTS export_definitions (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    owner text NOT NULL,
    definition jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS export_definitions_owner ON export_definitions (owner, name);
CREATE TABLE IF NOT EXISTS export_runs (
    id uuid PRIMARY KEY,
    definition_id uuid,
    definition jsonb NOT NULL,
    created_by text NOT NULL,
    reason text,
    state text NOT NULL,
    rows_written bigint NOT NULL DEFAULT 0,
    rows_total bigint,
    position bigint,
    size bigint,
    etag text,
    file text,
    error text,
    attempts integer NOT NULL DEFAULT 0,
    worker text,
    lease_until timestamptz,
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    expires_at timestamptz
);
CREATE INDEX IF NOT EXISTS export_runs_state ON export_runs (state, created_at);
CREATE INDEX IF NOT EXISTS export_runs_creator ON export_runs (created_by, created_at);
CREATE TABLE IF NOT EXISTS export_disclosures (
    agent_id uuid NOT NULL,
    run_id uuid NOT NULL,
    agent_version integer NOT NULL,
    position bigint NOT NULL,
    disclosed_at timestamptz NOT NULL,
    actor text NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (agent_id, run_id)
);
"""

MAX_ATTEMPTS = 3
"""How many times a run is started before a lost lease fails it."""
DISCLOSED = "PersonalDataExported"
"""The audit log's type for an export that disclosed an agent's personal data in full."""


class RunState(StrEnum):
    """Where a run stands."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"


@dataclass(frozen=True)
class SavedDefinition:
    """A named definition as kept."""

    id: UUID
    name: str
    owner: str
    definition: Definition
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Run:
    """One export run as kept."""

    id: UUID
    definition_id: UUID | None
    definition: Definition
    created_by: str
    reason: str | None
    state: RunState
    rows_written: int
    rows_total: int | None
    position: int | None
    size: int | None
    etag: str | None
    file: str | None
    error: str | None
    attempts: int
    worker: str | None
    lease_until: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None


_DEFINITION_COLUMNS = "id, name, owner, definition, created_at, updated_at"


def _saved(row: Any) -> SavedDefinition:
    id_, name, owner, stored, created, updated = row
    return SavedDefinition(id_, name, owner, Definition.of_json(stored), created, updated)


def save_definition(cur: Cursor, saved: SavedDefinition) -> None:
    """Keep `saved`, new or replacing the one of its id."""
    cur.execute(
        f"INSERT INTO export_definitions ({_DEFINITION_COLUMNS}) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, "
        "definition = EXCLUDED.definition, updated_at = EXCLUDED.updated_at",
        (saved.id, saved.name, saved.owner, _json(saved.definition.as_json()),
         saved.created_at, saved.updated_at))


def definition(cur: Cursor, id_: UUID) -> SavedDefinition | None:
    """The definition `id_`, if kept."""
    cur.execute(f"SELECT {_DEFINITION_COLUMNS} FROM export_definitions "  # noqa: S608
                "WHERE id = %s", (id_,))
    row = cur.fetchone()
    return None if row is None else _saved(row)


def definitions(cur: Cursor, owner: str | None) -> list[SavedDefinition]:
    """The definitions of `owner` (everyone's when None), by name."""
    cur.execute(f"SELECT {_DEFINITION_COLUMNS} FROM export_definitions "  # noqa: S608
                "WHERE %(owner)s::text IS NULL OR owner = %(owner)s ORDER BY name, id",
                {"owner": owner})
    return [_saved(row) for row in cur.fetchall()]


def delete_definition(cur: Cursor, id_: UUID) -> None:
    """Forget the definition `id_` (its runs keep their own copy)."""
    cur.execute("DELETE FROM export_definitions WHERE id = %s", (id_,))


_RUN_COLUMNS = ("id, definition_id, definition, created_by, reason, state, rows_written, "
                "rows_total, position, size, etag, file, error, attempts, worker, lease_until, "
                "created_at, started_at, finished_at, expires_at")


def _run(row: Any) -> Run:
    values = list(row)
    values[2] = Definition.of_json(values[2])
    values[5] = RunState(values[5])
    return Run(*values)


def enqueue(cur: Cursor, id_: UUID, definition_id: UUID | None, definition: Definition,
            created_by: str, reason: str | None, now: datetime) -> None:
    """Queue a run."""
    cur.execute("INSERT INTO export_runs (id, definition_id, definition, created_by, reason, "
                "state, created_at) VALUES (%s, %s, %s, %s, %s, 'queued', %s)",
                (id_, definition_id, _json(definition.as_json()), created_by, reason, now))


def run(cur: Cursor, id_: UUID) -> Run | None:
    """The run `id_`, if any."""
    cur.execute(f"SELECT {_RUN_COLUMNS} FROM export_runs WHERE id = %s", (id_,))  # noqa: S608
    row = cur.fetchone()
    return None if row is None else _run(row)


def runs(cur: Cursor, created_by: str | None, limit: int) -> list[Run]:
    """The newest `limit` runs of `created_by` (everyone's when None), newest first."""
    cur.execute(f"SELECT {_RUN_COLUMNS} FROM export_runs "  # noqa: S608
                "WHERE %(by)s::text IS NULL OR created_by = %(by)s "
                "ORDER BY created_at DESC, id LIMIT %(limit)s", {"by": created_by, "limit": limit})
    return [_run(row) for row in cur.fetchall()]


def active(cur: Cursor, limit: int) -> list[Run]:
    """Everyone's queued and running runs, oldest first, at most `limit`."""
    cur.execute(f"SELECT {_RUN_COLUMNS} FROM export_runs "  # noqa: S608
                "WHERE state IN ('queued', 'running') ORDER BY created_at, id LIMIT %s",
                (limit,))
    return [_run(row) for row in cur.fetchall()]


_CANDIDATE = {
    StoreKind.POSTGRES: "SELECT id FROM export_runs WHERE state = 'queued' OR (state = "
                        "'running' AND lease_until < %(now)s) ORDER BY created_at LIMIT 1 "
                        "FOR UPDATE SKIP LOCKED",
    StoreKind.SQLITE: "SELECT id FROM export_runs WHERE state = 'queued' OR (state = "
                      "'running' AND lease_until < %(now)s) ORDER BY created_at LIMIT 1",
}
"""The next run to take: PostgreSQL skips one another worker is taking; a SQLite write
transaction already excludes every other worker."""


def claim(cur: Cursor, worker: str, now: datetime, lease: timedelta) -> Run | None:
    """Take the oldest queued run, or one whose worker's lease ran out, for `worker`; runs
    whose lease ran out `MAX_ATTEMPTS` times fail first."""
    cur.execute("UPDATE export_runs SET state = 'failed', finished_at = %(now)s, error = "
                "'the worker stopped before finishing, ' || attempts || ' times', worker = NULL "
                "WHERE state = 'running' AND lease_until < %(now)s AND attempts >= %(max)s",
                {"now": now, "max": MAX_ATTEMPTS})
    cur.execute(_CANDIDATE[store_of(cur)], {"now": now})
    row = cur.fetchone()
    if row is None:
        return None
    cur.execute("UPDATE export_runs SET state = 'running', worker = %s, lease_until = %s, "
                "attempts = attempts + 1, started_at = %s, rows_written = 0, rows_total = NULL, "
                "position = NULL, error = NULL WHERE id = %s",
                (worker, now + lease, now, row[0]))
    return run(cur, row[0])


def report(cur: Cursor, run_id: UUID, worker: str, written: int, total: int | None,
           position: int | None, lease_until: datetime) -> bool:
    """Record progress and renew the lease; False when `worker` no longer holds the run."""
    cur.execute("UPDATE export_runs SET rows_written = %s, rows_total = %s, position = %s, "
                "lease_until = %s WHERE id = %s AND worker = %s AND state = 'running'",
                (written, total, position, lease_until, run_id, worker))
    return cur.rowcount == 1


@dataclass(frozen=True)
class Written:
    """A run's finished file."""

    file: str
    size: int
    etag: str
    rows: int


def succeed(cur: Cursor, run_id: UUID, worker: str, written: Written, now: datetime,
            expires_at: datetime) -> bool:
    """Mark the run succeeded with its file; False when `worker` no longer holds it."""
    cur.execute("UPDATE export_runs SET state = 'succeeded', file = %s, size = %s, etag = %s, "
                "rows_written = %s, finished_at = %s, expires_at = %s, worker = NULL, "
                "lease_until = NULL WHERE id = %s AND worker = %s AND state = 'running'",
                (written.file, written.size, written.etag, written.rows, now, expires_at,
                 run_id, worker))
    return cur.rowcount == 1


def fail(cur: Cursor, run_id: UUID, worker: str, error: str, now: datetime) -> None:
    """Mark the run failed with `error`, if `worker` still holds it."""
    cur.execute("UPDATE export_runs SET state = 'failed', error = %s, finished_at = %s, "
                "worker = NULL, lease_until = NULL WHERE id = %s AND worker = %s "
                "AND state = 'running'", (error, now, run_id, worker))


def release(cur: Cursor, run_id: UUID, worker: str, error: str, now: datetime) -> None:
    """Give the run back to the queue after a failure that may pass (a database away), if
    `worker` still holds it; failed once it has been started `MAX_ATTEMPTS` times."""
    cur.execute("UPDATE export_runs SET state = CASE WHEN attempts >= %(max)s THEN 'failed' "
                "ELSE 'queued' END, finished_at = CASE WHEN attempts >= %(max)s THEN %(now)s "
                "END, error = %(error)s, worker = NULL, lease_until = NULL "
                "WHERE id = %(id)s AND worker = %(worker)s AND state = 'running'",
                {"max": MAX_ATTEMPTS, "now": now, "error": error, "id": run_id,
                 "worker": worker})


def expire(cur: Cursor, now: datetime) -> list[str]:
    """Mark succeeded runs past their expiry expired; the files they leave."""
    cur.execute("UPDATE export_runs SET state = 'expired' WHERE state = 'succeeded' "
                "AND expires_at <= %s RETURNING file", (now,))
    return [file for (file,) in cur.fetchall() if file]


def withdraw(cur: Cursor, erased: list[UUID]) -> list[str]:
    """Mark succeeded runs that disclosed any of the `erased` agents in full expired (their
    files must go with the data); the files they leave."""
    cur.execute("UPDATE export_runs SET state = 'expired', "
                "error = 'an agent it disclosed had its personal data erased' "
                "WHERE state = 'succeeded' AND id IN (SELECT run_id FROM export_disclosures "
                "WHERE agent_id = ANY(%s)) RETURNING file", (erased,))
    return [file for (file,) in cur.fetchall() if file]


def served_files(cur: Cursor) -> set[str]:
    """The files of succeeded runs (every other file in the folder is left over)."""
    cur.execute("SELECT file FROM export_runs WHERE state = 'succeeded' AND file IS NOT NULL")
    return {file for (file,) in cur.fetchall()}


def disclose(cur: Cursor, run: Run, agents: list[tuple[UUID, int]], position: int,
             at: datetime) -> None:
    """Record that `run` disclosed the personal data of `agents` (id and version) in full."""
    write_rows(cur, "export_disclosures", ("agent_id", "run_id", "agent_version", "position",
                                           "disclosed_at", "actor", "reason"),
               [(agent, run.id, version, position, at, run.created_by, run.reason or "")
                for agent, version in agents], "ON CONFLICT DO NOTHING")


def disclosures(cur: Cursor, agent_id: UUID, actor: str | None,
                window: Window) -> list[AuditEntry]:
    """The agent's disclosures by export in `window`, as audit entries (oldest first): who,
    why, at which version, the run as correlation id."""
    cur.execute(
        "SELECT position, agent_version, occurred_at, actor, run_id, reason FROM ("  # noqa: S608
        "SELECT position, agent_version, disclosed_at AS occurred_at, actor, run_id, reason "
        "FROM export_disclosures WHERE agent_id = %(a)s "
        "AND (%(actor)s::text IS NULL OR actor = %(actor)s)) AS disclosed WHERE true "
        + window.sql("position", newest_first=False),
        {"a": agent_id, "actor": actor, **window.params()})
    return [AuditEntry(int(position), int(version), at, DISCLOSED, by, "export", str(run_id),
                       reason, [])
            for position, version, at, by, run_id, reason in cur.fetchall()]


def _json(value: dict[str, Any]) -> Jsonb:
    return Jsonb(value, dumps=dumps)
