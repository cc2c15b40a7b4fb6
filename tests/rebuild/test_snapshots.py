"""Snapshot jobs killed under load: an unfinished snapshot is never served, creating it again
finishes it, and what it holds is the fold of each agent's events up to its moment."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from fastapi.testclient import TestClient

from commands.service import AgentService
from projections import agent_summary, profile, snapshots
from projections.document_table import Document
from projections.envelope import Envelope
from projections.generations import State
from projections.snapshots import Snapshot
from roster import pipeline
from roster.settings import Settings
from roster.wiring import read_api
from tests.folds import paths_of
from tests.pipeline.conftest import Roster
from tests.pipeline.workload import wait_for
from tests.rebuild.helpers import registry, running, whole_log, writing
from webkit.auth import Role, issue_token


def _snapshot(settings: Settings, name: str) -> Snapshot | None:
    store = pipeline.generations(settings)
    try:
        return store.registry.run(lambda cur: snapshots.find(cur, name))
    finally:
        store.registry.close()


def _progressed(settings: Settings) -> bool:
    return any(g.position > 0 for g in registry(settings) if g.state is State.SNAPSHOT)


def _prefixes(log: Sequence[Envelope], moment: datetime) -> list[Envelope]:
    """Each agent's events up to its first one after `moment`, in log order."""
    late: set[UUID] = set()
    kept = []
    for envelope in log:
        if envelope.agent_id in late or envelope.occurred_at > moment:
            late.add(envelope.agent_id)
            continue
        kept.append(envelope)
    return kept


def _assert_holds_the_fold(settings: Settings, made: Snapshot, events: list[Envelope]) -> None:
    summaries: dict[UUID, agent_summary.AgentSummary] = {}
    agent_summary.fold(summaries, events)
    docs: dict[UUID, Document] = {}
    for e in events:
        docs[e.agent_id] = profile.evolve(docs.get(e.agent_id), e)
    store = pipeline.generations(settings)
    held = {g.projection: store.bound(g) for g in made.generations}
    store.registry.close()
    cols = ", ".join(agent_summary.COLUMNS)
    rows = held["agent_summary"].run(
        lambda cur: cur.execute(f"SELECT {cols} FROM agent_summary").fetchall())
    assert {r[0]: agent_summary.AgentSummary(*r) for r in rows} == summaries
    found = held["dashboard"].run(
        lambda cur: cur.execute("SELECT agent_id, document FROM dashboard_agent").fetchall())
    assert dict(found) == docs
    paths = held["hierarchy"].run(
        lambda cur: cur.execute("SELECT agent_id, path FROM hierarchy").fetchall())
    assert dict(paths) == paths_of(docs)
    for database in held.values():
        database.close()


def test_a_snapshot_killed_twice_is_never_served_unfinished_and_ends_as_the_fold(
    rebuild_settings: Settings, rebuild_service: AgentService, roster: Roster
) -> None:
    settings, service = rebuild_settings, rebuild_service
    running(settings, service, roster, 800)
    token = issue_token(settings.jwt_secret.get_secret_value(), "ann", Role.VIEWER, 600)
    chance = random.Random(3)
    with writing(service) as workload:
        time.sleep(0.5)
        moment = datetime.now(UTC)
        time.sleep(0.5)
        for _ in range(2):
            job = roster.start("snapshot", "create", "q1", "--as-of", moment.isoformat(),
                               "--page", "100", "--quiet")
            assert wait_for(lambda: _progressed(settings), every=0.05)
            time.sleep(chance.uniform(0, 0.5))
            job.kill()
            assert job.wait() != 0, "killed before it finished"
            unfinished = _snapshot(settings, "q1")
            assert unfinished is not None
            assert not unfinished.ready
            with TestClient(read_api(settings)) as client:
                answer = client.get("/v1/agents", params={"snapshot": "q1"},
                                    headers={"Authorization": f"Bearer {token}"})
            assert (answer.status_code, answer.json()["code"]) == (404, "snapshot_not_found")
        assert workload.commands > 0
    # finished once the load has stopped: an erasure the load made after this run had read
    # an agent's events would show in the fold below and not in the snapshot (which keeps the
    # log as it read it)
    done = roster.run("snapshot", "create", "q1", "--as-of", moment.isoformat(),
                      "--by", "auditor-7", "--quiet")
    assert done.returncode == 0, done.stderr
    made = _snapshot(settings, "q1")
    assert made is not None
    assert made.ready
    assert made.created_by == "auditor-7"
    held = [g for g in registry(settings) if g.state is State.SNAPSHOT]
    assert sorted(held, key=lambda g: g.projection) == sorted(made.generations,
                                                             key=lambda g: g.projection)
    events = _prefixes(whole_log(service), moment)
    assert made.position == max(e.position for e in events)
    _assert_holds_the_fold(settings, made, events)
