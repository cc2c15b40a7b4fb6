"""The agent summary: one row per agent for multi-criteria search.

`evolve` is the whole logic, pure and testable on its own; `AgentSummaryProjection` loads the
rows a batch touches, evolves them in memory and writes each changed row once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from domain.values import ERASED, AgentStatus
from projections import agent_fold
from projections import events as ev
from projections.agent_fold import check_next
from projections.db import Cursor, StoreKind, store_of, write_rows
from projections.envelope import Envelope
from projections.jsonb import dumps
from projections.licenses import LicenseTable


@dataclass(frozen=True, slots=True)
class AgentSummary:
    """One agent as search sees it; personal values are masked, licenses keyed by number."""

    agent_id: UUID
    agent_code: str
    first_name: str
    last_name: str
    agent_type: str
    office_code: str
    region: str
    email: str
    phone: str
    pan: str
    status: str
    manager_id: UUID | None
    date_of_joining: date
    licenses: dict[str, dict[str, Any]]
    next_expiry: date | None
    reports: int
    version: int
    position: int
    onboarded_at: datetime
    updated_at: datetime


COLUMNS = tuple(f.name for f in fields(AgentSummary))

def _next_expiry(licenses: dict[str, dict[str, Any]]) -> date | None:
    live = [lic["expires_on"] for lic in licenses.values() if lic.get("revoked_on") is None]
    return date.fromisoformat(min(live)) if live else None


def _with_licenses(licenses: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"licenses": licenses, "next_expiry": _next_expiry(licenses)}


def _onboarded(env: Envelope, e: ev.Onboarded) -> AgentSummary:
    return AgentSummary(
        agent_id=env.agent_id, agent_code=e.agent_code, first_name=e.first_name,
        last_name=e.last_name, agent_type=e.agent_type.value, office_code=e.office_code,
        region=e.region.value, email=e.email, phone=e.phone, pan=e.pan,
        status=AgentStatus.PENDING_APPROVAL.value, manager_id=e.manager_id,
        date_of_joining=e.date_of_joining, licenses={}, next_expiry=None, reports=0,
        version=env.agent_version, position=env.position, onboarded_at=env.occurred_at,
        updated_at=env.occurred_at,
    )


_EDITABLE = frozenset({"first_name", "last_name", "agent_type", "office_code", "region",
                       "email", "phone"})


def _relicensed(row: AgentSummary, number: str, **changes: Any) -> dict[str, Any]:
    return _with_licenses({**row.licenses, number: {**row.licenses[number], **changes}})


def _changes(row: AgentSummary, e: ev.AgentEvent) -> dict[str, Any]:
    """The columns `e` changes in `row`."""
    if e.status_after is not None:
        return {"status": e.status_after.value, **({"manager_id": None} if e.clears_manager
                                                   else {})}
    match e:
        case ev.ProfileUpdated(changes=changes):
            return {k: v for k, v in changes.items() if k in _EDITABLE}
        case ev.LicenseAdded(license=lic):
            return _with_licenses({**row.licenses, lic.number: lic.terms()})
        case ev.LicenseRenewed(number=number, expires_on=expires_on):
            return _relicensed(row, number, expires_on=expires_on.isoformat())
        case ev.LicenseRevoked(number=number, revoked_on=revoked_on):
            return _relicensed(row, number, revoked_on=revoked_on.isoformat())
        case ev.ManagerChanged(manager_id=manager_id):
            return {"manager_id": manager_id}
        case ev.ReportAssigned():
            return {"reports": row.reports + 1}
        case ev.ReportReleased():
            return {"reports": row.reports - 1}
        case ev.PersonalDataErased():
            return dict.fromkeys(("email", "phone", "pan"), ERASED)
        case ev.PersonalDataDisclosed():
            return {}
    raise ValueError(f"the agent summary does not know event type {type(e).__name__!r}")


def evolve(row: AgentSummary | None, env: Envelope) -> AgentSummary:
    """The row after `env`; raises `OutOfOrder` unless `env` is the agent's next event."""
    check_next(None if row is None else row.version, env)
    if row is None:
        assert isinstance(env.event, ev.Onboarded)
        return _onboarded(env, env.event)
    return replace(row, **_changes(row, env.event), version=env.agent_version,
                   position=env.position, updated_at=env.occurred_at)


def fold(rows: dict[UUID, AgentSummary], envelopes: Sequence[Envelope]) -> set[UUID]:
    """Evolve `rows` in place by `envelopes`, skipping ones already applied; the changed ids."""
    steps = agent_fold.fold(rows, envelopes, evolve, lambda row: row.version)
    return {step.env.agent_id for step in steps}


EXTENSIONS = ("pg_trgm", "btree_gin")
"""Trigram search, and plain columns beside the trigrams in one GIN index."""

_TABLE = """
CREATE TABLE IF NOT EXISTS agent_summary (
    agent_id uuid PRIMARY KEY,
    agent_code text NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL,
    agent_type text NOT NULL,
    office_code text NOT NULL,
    region text NOT NULL,
    email text NOT NULL,
    phone text NOT NULL,
    pan text NOT NULL,
    status text NOT NULL,
    manager_id uuid,
    date_of_joining date NOT NULL,
    licenses jsonb NOT NULL,
    next_expiry date,
    reports integer NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL,
    onboarded_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    search_text text GENERATED ALWAYS AS
        (lower(first_name || ' ' || last_name || ' ' || agent_code)) STORED
);
DROP INDEX IF EXISTS agent_summary_status;
DROP INDEX IF EXISTS agent_summary_office;
DROP INDEX IF EXISTS agent_summary_manager;
CREATE INDEX IF NOT EXISTS agent_summary_code ON agent_summary (agent_code, agent_id);
CREATE INDEX IF NOT EXISTS agent_summary_status_code
    ON agent_summary (status, agent_code, agent_id);
CREATE INDEX IF NOT EXISTS agent_summary_region_code
    ON agent_summary (region, agent_code, agent_id);
CREATE INDEX IF NOT EXISTS agent_summary_office_code
    ON agent_summary (office_code, agent_code, agent_id);
CREATE INDEX IF NOT EXISTS agent_summary_manager_code
    ON agent_summary (manager_id, agent_code, agent_id);
CREATE INDEX IF NOT EXISTS agent_summary_next_expiry ON agent_summary (next_expiry);
"""
"""The table, and an index per filter in the default order (agent code, then id): a page of a
search by status, region, office or manager is read in index order, a page's worth of rows,
however many agents match."""

_POSTGRES_TEXT = """
ALTER TABLE agent_summary ADD COLUMN IF NOT EXISTS search_text text
    GENERATED ALWAYS AS (lower(first_name || ' ' || last_name || ' ' || agent_code)) STORED;
DROP INDEX IF EXISTS agent_summary_name_trgm;
DROP INDEX IF EXISTS agent_summary_code_trgm;
CREATE INDEX IF NOT EXISTS agent_summary_text ON agent_summary
    USING gin (search_text gin_trgm_ops, region, office_code, agent_type)
    WITH (fastupdate = off);  -- no pending list: a search never scans unindexed rows
"""

_SQLITE_TEXT = """
CREATE VIRTUAL TABLE IF NOT EXISTS agent_summary_text USING fts5(
    search_text, content='agent_summary', content_rowid='rowid', tokenize='trigram');
CREATE TRIGGER IF NOT EXISTS agent_summary_text_added AFTER INSERT ON agent_summary BEGIN
    INSERT INTO agent_summary_text (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER IF NOT EXISTS agent_summary_text_changed
AFTER UPDATE OF first_name, last_name, agent_code ON agent_summary BEGIN
    INSERT INTO agent_summary_text (agent_summary_text, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO agent_summary_text (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
"""
"""SQLite: an FTS5 trigram index over the same search text, kept by triggers."""


@dataclass(frozen=True)
class _TextIndex:
    """How one store indexes the search text."""

    extensions: tuple[str, ...]
    """PostgreSQL extensions it needs (made in `public` when missing)."""
    ddl: str


_TEXT_INDEXES = {StoreKind.POSTGRES: _TextIndex(EXTENSIONS, _POSTGRES_TEXT),
                 StoreKind.SQLITE: _TextIndex((), _SQLITE_TEXT)}

_SELECT = f"SELECT {', '.join(COLUMNS)} FROM agent_summary WHERE agent_id = ANY(%s)"  # noqa: S608
_UPSERT = "ON CONFLICT (agent_id) DO UPDATE SET " + ", ".join(
    f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])


class AgentSummaryProjection:
    """The agent summary (table `agent_summary`, its search text trigram-indexed: pg_trgm on
    PostgreSQL, FTS5 on SQLite)."""

    name = "agent_summary"
    version = 1
    uncompared: frozenset[str] = frozenset()
    licenses = LicenseTable("summary_license")

    def create(self, cur: Cursor) -> None:
        """Create the tables and their indexes when missing, or migrate them (on PostgreSQL
        needs the pg_trgm and btree_gin extensions, made in `public` when missing)."""
        text = _TEXT_INDEXES[store_of(cur)]
        for extension in text.extensions:
            cur.execute(f"CREATE EXTENSION IF NOT EXISTS {extension} SCHEMA public")
        cur.execute(_TABLE + text.ddl)
        self.licenses.create(cur)

    def apply(self, cur: Cursor, envelopes: Sequence[Envelope]) -> None:
        """Load the touched rows, fold the batch into them, write each changed row once."""
        ids = list({env.agent_id for env in envelopes})
        cur.execute(_SELECT, (ids,))
        rows = {r[0]: AgentSummary(*r) for r in cur.fetchall()}
        steps = agent_fold.fold(rows, envelopes, evolve, lambda row: row.version)
        changed = {step.env.agent_id for step in steps}
        if changed:
            write_rows(cur, "agent_summary", COLUMNS, [_params(rows[i]) for i in changed],
                       _UPSERT)
        relicensed = {s.env.agent_id for s in steps if isinstance(s.env.event, ev.LICENSING)}
        self.licenses.replace(cur, {i: rows[i].licenses for i in relicensed})


def _params(row: AgentSummary) -> list[Any]:
    return [Jsonb(row.licenses, dumps=dumps) if c == "licenses" else getattr(row, c)
            for c in COLUMNS]
