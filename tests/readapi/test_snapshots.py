"""Point-in-time read models: snapshots taken later of moments in a growing population answer
exactly what the live read models answered at those moments, on both stores."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from commands import models as cmd
from commands.service import AgentService
from consumers.snapshot import Snapshots
from readapi import schemas
from roster import pipeline
from roster.settings import Settings
from tests.readapi.agents import APPROVER, move, onboard
from tests.readapi.conftest import Models, items

HELD = ("agent_summary", "dashboard", "hierarchy")


def _answers(client: TestClient, headers: dict[str, str], agents: list[UUID],
             **params: Any) -> dict[str, Any]:
    """What search, the dashboard and the hierarchy answer (from the snapshot in `params`)."""
    def one(path: str, **more: Any) -> Any:
        response = client.get(path, headers=headers, params={**params, **more})
        assert response.status_code == 200, (path, response.text)
        return response.json()
    return {
        "active": items(client, "/v1/agents", headers, status="ACTIVE", limit=7, **params),
        "everyone": items(client, "/v1/agents", headers, limit=50, **params),
        "expiring": items(client, "/v1/agents", headers, license_expiring_within_days=200,
                          sort="agent_code", **params),
        "named": items(client, "/v1/agents", headers, q="kulkarni", **params),
        "dashboard": one("/v1/dashboard"),
        "hierarchy": [one(f"/v1/agents/{a}/hierarchy") for a in agents[:4]],
    }


def _grow(write: AgentService, agents: list[UUID], phase: int) -> None:
    """More agents under the first one, and some of the earlier ones changed."""
    for n in range(5):
        manager = agents[0] if agents else None
        agents.append(onboard(write, manager, last_name="Kulkarni" if n == 2 else "Rao"))
    batch = agents[-5:]
    write.suspend(batch[4], cmd.Decide(reason="audit"), APPROVER)
    move(write, batch[3], batch[1])


@pytest.fixture
def jobs(read_settings: Settings, write: AgentService) -> Iterator[Snapshots]:
    """The snapshot jobs of the test's store (their connection closed afterwards)."""
    store = pipeline.generations(read_settings)
    yield pipeline.snapshots(read_settings, store, write)
    store.registry.close()


def test_snapshots_of_past_moments_answer_what_the_live_models_answered_then(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str],
    jobs: Snapshots,
) -> None:
    agents: list[UUID] = []
    recorded: list[tuple[datetime, dict[str, Any]]] = []
    for phase in range(3):
        _grow(write, agents, phase)
        models.catch_up()
        recorded.append((datetime.now(UTC), _answers(client, viewer, agents)))
        time.sleep(0.01)
    _grow(write, agents, 3)
    models.catch_up()

    for n, (moment, answers) in reversed(list(enumerate(recorded))):
        made = jobs.create(f"q{n}", moment, pipeline.projections(HELD), "auditor-1")
        assert made.ready
        assert sorted(made.projections) == sorted(HELD)
        assert _answers(client, viewer, agents, snapshot=f"q{n}") == answers, n
    assert _answers(client, viewer, agents, snapshot="q0") != \
        _answers(client, viewer, agents), "the live models have moved on"

    listing = client.get("/v1/snapshots", headers=viewer)
    assert listing.status_code == 200
    snapshots = schemas.Snapshots.model_validate(listing.json()).items
    assert [s.name for s in snapshots] == ["q0", "q1", "q2"]
    assert [s.as_of for s in snapshots] == [moment for moment, _ in recorded]
    assert snapshots[0].position < snapshots[1].position < snapshots[2].position
    assert {s.created_by for s in snapshots} == {"auditor-1"}


def test_a_snapshot_is_refused_when_missing_or_lacking_the_read_model(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str],
    jobs: Snapshots,
) -> None:
    agent = onboard(write)
    models.catch_up()
    jobs.create("only-search", datetime.now(UTC), pipeline.projections(["agent_summary"]),
                "auditor-1")
    for path, snapshot, code in [
        ("/v1/agents", "nothing-here", "snapshot_not_found"),
        ("/v1/dashboard", "only-search", "snapshot_lacks_read_model"),
        (f"/v1/agents/{agent}/hierarchy", "only-search", "snapshot_lacks_read_model"),
    ]:
        response = client.get(path, headers=viewer, params={"snapshot": snapshot})
        assert (response.status_code, response.json()["code"]) == (404, code)
    found = client.get("/v1/agents", headers=viewer, params={"snapshot": "only-search"})
    assert [a["agent_id"] for a in found.json()["items"]] == [str(agent)]
    assert jobs.drop("only-search") is not None
    gone = client.get("/v1/agents", headers=viewer, params={"snapshot": "only-search"})
    assert gone.status_code == 404
