"""The audit log: every event with who, when, where from, and the before and after of each
field it changed (personal values masked)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from projections import events as ev
from projections import profile
from projections.agent_fold import fold
from projections.db import Cursor, write_rows
from projections.document_table import Document, DocumentTable
from projections.envelope import Envelope
from projections.erasure import scrub, scrubbed_changes
from projections.jsonb import dumps
from projections.window import Window

AUDITED = (*profile.ATTRIBUTES, "manager_id", "status")
"""Fields whose before and after are recorded; licenses are recorded one by one."""

_DDL = """
CREATE TABLE IF NOT EXISTS audit_log (
    position bigint PRIMARY KEY,
    agent_id uuid NOT NULL,
    agent_version integer NOT NULL,
    occurred_at timestamptz NOT NULL,
    type text NOT NULL,
    actor text NOT NULL,
    source text NOT NULL,
    correlation_id text NOT NULL,
    reason text,
    changes jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_agent ON audit_log (agent_id, occurred_at, position);
"""


_COLUMNS = ("position", "agent_id", "agent_version", "occurred_at", "type", "actor", "source",
            "correlation_id", "reason", "changes")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited event."""

    position: int
    agent_version: int
    occurred_at: datetime
    type: str
    actor: str
    source: str
    correlation_id: str
    reason: str | None
    changes: list[dict[str, Any]]


def changes(before: Document | None, after: Document) -> list[dict[str, Any]]:
    """Each audited field whose value differs, with both values (None before onboarding)."""
    old = before or {}
    found = [{"field": f, "before": old.get(f), "after": after.get(f)}
             for f in AUDITED if old.get(f) != after.get(f)]
    old_licenses, new_licenses = old.get("licenses", {}), after["licenses"]
    found += [{"field": f"licenses.{n}", "before": old_licenses.get(n),
               "after": new_licenses.get(n)}
              for n in sorted(old_licenses.keys() | new_licenses.keys())
              if old_licenses.get(n) != new_licenses.get(n)]
    return found


class AuditLogProjection:
    """The audit log (`audit_log`), with the profiles it diffs (`audit_state`)."""

    name = "audit_log"
    version = 1
    uncompared: frozenset[str] = frozenset()
    state = DocumentTable("audit_state")

    def create(self, cur: Cursor) -> None:
        """Create the log and state tables when missing."""
        self.state.create(cur)
        cur.execute(_DDL)

    def apply(self, cur: Cursor, envelopes: Sequence[Envelope]) -> None:
        """Fold the batch into the state; write one entry per applied event."""
        docs = self.state.load(cur, list({env.agent_id for env in envelopes}))
        steps = fold(docs, envelopes, profile.evolve, profile.version)
        if not steps:
            return
        self.state.save(cur, docs, {step.env.agent_id for step in steps})
        write_rows(cur, "audit_log", _COLUMNS,
                   [(s.env.position, s.env.agent_id, s.env.agent_version, s.env.occurred_at,
                     s.env.type, s.env.actor, s.env.source, s.env.correlation_id,
                     ev.reason_of(s.env.event), Jsonb(changes(s.before, s.after), dumps=dumps))
                    for s in steps],
                   "ON CONFLICT DO NOTHING")
        for erased in {s.env.agent_id for s in steps
                       if isinstance(s.env.event, ev.PersonalDataErased)}:
            scrub(cur, "audit_log", ("position",), "changes", erased, scrubbed_changes)


def entries(cur: Cursor, agent_id: UUID, actor: str | None,
            window: Window) -> list[AuditEntry]:
    """The agent's audit entries in `window`, oldest first, by `actor` if given."""
    cur.execute(
        "SELECT position, agent_version, occurred_at, type, actor, source, correlation_id, "  # noqa: S608
        "reason, changes FROM audit_log WHERE agent_id = %(a)s "
        "AND (%(actor)s::text IS NULL OR actor = %(actor)s) "
        + window.sql("position", newest_first=False),
        {"a": agent_id, "actor": actor, **window.params()},
    )
    return [AuditEntry(*row) for row in cur.fetchall()]
