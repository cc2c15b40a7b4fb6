"""The dashboard: counts by status, type and region, pending decisions, licenses expiring
soon, and onboardings per month, aggregated from one small row per agent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from domain.values import AgentStatus
from projections import cache_marks, profile
from projections import events as ev
from projections.agent_fold import fold
from projections.db import Cursor
from projections.document_table import DocumentTable
from projections.envelope import Envelope
from projections.licenses import LicenseTable

EXPIRY_WINDOW_DAYS = 30
MONTHS = 12

_COLUMNS = {
    "status": "text GENERATED ALWAYS AS (document->>'status') STORED",
    "agent_type": "text GENERATED ALWAYS AS (document->>'agent_type') STORED",
    "region": "text GENERATED ALWAYS AS (document->>'region') STORED",
    "onboarded_month": "text GENERATED ALWAYS AS (substr(document->>'onboarded_at', 1, 7)) STORED",
}

Dashboard = dict[str, Any]
"""The dashboard as JSON."""


class DashboardProjection:
    """The dashboard's rows (`dashboard_agent`, `dashboard_license`); every
    change bumps its revision and marks the Redis copy."""

    name = "dashboard"
    version = 1
    uncompared: frozenset[str] = frozenset({"dashboard_revision"})
    agents = DocumentTable("dashboard_agent", _COLUMNS)
    licenses = LicenseTable("dashboard_license")

    def create(self, cur: Cursor) -> None:
        """Create the tables when missing."""
        self.agents.create(cur)
        self.licenses.create(cur)
        cache_marks.create(cur)
        cur.execute("CREATE TABLE IF NOT EXISTS dashboard_revision "
                    "(one boolean PRIMARY KEY DEFAULT true CHECK (one), revision bigint NOT NULL)")
        cur.execute("INSERT INTO dashboard_revision (revision) VALUES (0) ON CONFLICT DO NOTHING")

    def apply(self, cur: Cursor, envelopes: Sequence[Envelope]) -> None:
        """Fold the batch into the agents' rows and bump the revision once."""
        docs = self.agents.load(cur, list({env.agent_id for env in envelopes}))
        steps = fold(docs, envelopes, profile.evolve, profile.version)
        if not steps:
            return
        changed = {step.env.agent_id for step in steps}
        self.agents.save(cur, docs, changed)
        relicensed = {s.env.agent_id for s in steps if isinstance(s.env.event, ev.LICENSING)}
        self.licenses.replace(cur, {i: docs[i]["licenses"] for i in relicensed})
        cur.execute("UPDATE dashboard_revision SET revision = revision + 1")
        cache_marks.mark(cur, [cache_marks.DASHBOARD])


def _counts(cur: Cursor, column: str) -> dict[str, int]:
    cur.execute(f"SELECT {column}, count(*) FROM dashboard_agent GROUP BY 1")  # noqa: S608
    return {str(key): int(n) for key, n in cur.fetchall()}


def _months(today: date) -> list[str]:
    first = today.replace(day=1)
    months = []
    for _ in range(MONTHS):
        months.append(first.strftime("%Y-%m"))
        first = (first - timedelta(days=1)).replace(day=1)
    return months[::-1]


def dashboard(cur: Cursor, today: date) -> tuple[int, Dashboard]:
    """The dashboard as of `today`, and the revision it reflects."""
    cur.execute("SELECT revision FROM dashboard_revision")
    row = cur.fetchone()
    revision = int(row[0]) if row else 0
    by_status = _counts(cur, "status")
    months = _months(today)
    cur.execute("SELECT onboarded_month, count(*) FROM dashboard_agent "
                "WHERE onboarded_month >= %s GROUP BY 1", (months[0],))
    onboarded = {str(month): int(n) for month, n in cur.fetchall()}
    cur.execute("SELECT count(*) FROM dashboard_license WHERE revoked_on IS NULL "
                "AND expires_on BETWEEN %s AND %s",
                (today, today + timedelta(days=EXPIRY_WINDOW_DAYS)))
    expiring = cur.fetchone()
    return revision, {
        "as_of": today.isoformat(),
        "agents": sum(by_status.values()),
        "by_status": by_status,
        "by_type": _counts(cur, "agent_type"),
        "by_region": _counts(cur, "region"),
        "pending_approvals": by_status.get(AgentStatus.PENDING_APPROVAL.value, 0),
        "pending_reinstatements": by_status.get(AgentStatus.REINSTATEMENT_PENDING.value, 0),
        "licenses_expiring_30_days": int(expiring[0]) if expiring else 0,
        "onboardings_per_month": [{"month": m, "count": onboarded.get(m, 0)}
                                  for m in months],
    }
