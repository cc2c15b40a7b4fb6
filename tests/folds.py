"""The read models compared with a fold of the log, in memory: what every projection must hold
after applying `envelopes`, whatever batches, partitions, rebuilds or crashes came between."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from consumers.database import Database
from projections import agent_summary, profile
from projections.document_table import Document
from projections.envelope import Envelope
from projections.notifications import KINDS


def paths_of(docs: dict[UUID, Document]) -> dict[UUID, list[UUID]]:
    """Each agent's path from the root (itself last), from the profiles' manager links."""
    def up(agent: UUID) -> list[UUID]:
        manager = docs[agent]["manager_id"]
        return [*up(UUID(manager)), agent] if manager else [agent]
    return {agent: up(agent) for agent in docs}


def assert_equals_fold(database: Database, envelopes: Sequence[Envelope],
                       agents: set[UUID]) -> None:
    """Every read model's rows of `agents` equal the fold of their `envelopes` (which hold
    every event of those agents, in log order)."""
    mine = [e for e in envelopes if e.agent_id in agents]
    summaries: dict[UUID, agent_summary.AgentSummary] = {}
    agent_summary.fold(summaries, mine)
    docs: dict[UUID, Document] = {}
    for e in mine:
        docs[e.agent_id] = profile.evolve(docs.get(e.agent_id), e)
    ids = list(agents)

    def rows(query: str) -> list[Any]:
        return database.run(lambda cur: cur.execute(query, (ids,)).fetchall())

    cols = ", ".join(agent_summary.COLUMNS)
    stored = rows(f"SELECT {cols} FROM agent_summary WHERE agent_id = ANY(%s)")
    assert {r[0]: agent_summary.AgentSummary(*r) for r in stored} == summaries
    for table in ("agent_profile", "audit_state", "dashboard_agent"):
        held = rows(f"SELECT agent_id, document FROM {table} "
                    "WHERE agent_id = ANY(%s)")
        assert dict(held) == docs, table
    paths = rows("SELECT agent_id, path FROM hierarchy WHERE agent_id = ANY(%s)")
    assert dict(paths) == paths_of(docs)
    for table, expected in [
        ("timeline", Counter(e.agent_id for e in mine)),
        ("audit_log", Counter(e.agent_id for e in mine)),
        ("notifications", Counter(e.agent_id for e in mine if type(e.event) in KINDS)),
    ]:
        counted = rows(f"SELECT agent_id, count(*) FROM {table} "
                       "WHERE agent_id = ANY(%s) GROUP BY 1")
        assert dict(counted) == dict(expected), table
