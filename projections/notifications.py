"""Notifications: notices raised by events that someone should act on or know about."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from projections import events as ev
from projections.db import Cursor, write_rows
from projections.envelope import Envelope
from projections.event_lines import line
from projections.window import Window


class NoticeType(StrEnum):
    """The kinds of notice."""

    APPROVAL_WAITING = "approval_waiting"
    REINSTATEMENT_WAITING = "reinstatement_waiting"
    STATUS_CHANGED = "status_changed"
    LICENSE_REVOKED = "license_revoked"


KINDS: dict[type[ev.AgentEvent], NoticeType] = {
    ev.Onboarded: NoticeType.APPROVAL_WAITING,
    ev.ReinstatementRequested: NoticeType.REINSTATEMENT_WAITING,
    **dict.fromkeys((ev.Approved, ev.Rejected, ev.Suspended, ev.Resumed, ev.Terminated,
                     ev.ReinstatementApproved, ev.ReinstatementRejected),
                    NoticeType.STATUS_CHANGED),
    ev.LicenseRevoked: NoticeType.LICENSE_REVOKED,
}
"""The kind of notice each event raises; other events raise none."""

_DDL = """
CREATE TABLE IF NOT EXISTS notifications (
    position bigint PRIMARY KEY,
    agent_id uuid NOT NULL,
    type text NOT NULL,
    event_type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor text NOT NULL,
    message text NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_time ON notifications (occurred_at, position);
CREATE INDEX IF NOT EXISTS notifications_agent ON notifications (agent_id, occurred_at);
"""


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification."""

    position: int
    agent_id: UUID
    type: str
    event_type: str
    occurred_at: datetime
    actor: str
    message: str


class NotificationsProjection:
    """Notices (`notifications`), one per noteworthy event."""

    name = "notifications"
    version = 1
    uncompared: frozenset[str] = frozenset()

    def create(self, cur: Cursor) -> None:
        """Create the table when missing."""
        cur.execute(_DDL)

    def apply(self, cur: Cursor, envelopes: Sequence[Envelope]) -> None:
        """Insert a notice for each noteworthy event; a redelivered one changes nothing."""
        write_rows(cur, "notifications", tuple(f.name for f in fields(Notice)),
                   [(e.position, e.agent_id, KINDS[type(e.event)], e.type, e.occurred_at,
                     e.actor, line(e)) for e in envelopes if type(e.event) in KINDS],
                   "ON CONFLICT DO NOTHING")


def notices(cur: Cursor, agent_id: UUID | None, kind: NoticeType | None,
            window: Window) -> list[Notice]:
    """Notices in `window`, newest first, of one agent and one type if given."""
    cur.execute(
        "SELECT position, agent_id, type, event_type, occurred_at, actor, message "
        "FROM notifications WHERE (%(a)s::uuid IS NULL OR agent_id = %(a)s) "
        "AND (%(kind)s::text IS NULL OR type = %(kind)s) "
        + window.sql("position", newest_first=True),
        {"a": agent_id, "kind": kind, **window.params()},
    )
    return [Notice(*row) for row in cur.fetchall()]
