"""Audit replays against the event store: an agent as of any version or moment, and the
changes between two moments, compared with what the read models answered at the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from commands import models as cmd
from commands.service import AgentService
from readapi.schemas import AgentAsOf, AgentChanges
from tests.builders import license_body
from tests.readapi.agents import APPROVER, CLERK, Op, command_lists, onboard, run_commands
from tests.readapi.conftest import Models

Recorded = dict[tuple[UUID, int], dict[str, Any]]


def _as_state(profile: dict[str, Any]) -> dict[str, Any]:
    """A profile answer as a replay states it (a replay has no manager chain)."""
    return {k: v for k, v in profile.items() if k != "manager_chain"}


def _as_of(client: TestClient, headers: dict[str, str], agent_id: UUID,
           **params: Any) -> dict[str, Any]:
    response = client.get(f"/v1/agents/{agent_id}/as-of", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    AgentAsOf.model_validate(body)
    return body


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=command_lists(min_size=3, max_size=14))
def test_as_of_every_version_is_what_the_profile_said_then(
    steps: list[Op], write: AgentService, models: Models, client: TestClient,
    viewer: dict[str, str], auditor: dict[str, str],
) -> None:
    recorded: Recorded = {}

    def record(agents: list[UUID]) -> None:
        models.catch_up()
        for agent_id in agents:
            profile = client.get(f"/v1/agents/{agent_id}", headers=viewer).json()
            recorded[(agent_id, profile["version"])] = _as_state(profile)

    agents = run_commands(write, steps, record)
    for agent_id in agents:
        latest = max(v for a, v in recorded if a == agent_id)
        times = []
        for version in range(1, latest + 1):
            body = _as_of(client, auditor, agent_id, version=version)
            assert (body["version"], body["event"]["version"]) == (version, version)
            if (agent_id, version) in recorded:  # one command may make several versions
                assert body["state"] == recorded[(agent_id, version)]
            assert body["position"] == body["state"]["position"]
            times.append(datetime.fromisoformat(body["event"]["occurred_at"]))
        for version, at in enumerate(times, start=1):
            last = max(v for v, t in enumerate(times, start=1) if t <= at)
            assert _as_of(client, auditor, agent_id, at=at.isoformat())["version"] == last
            earlier = [v for v, t in enumerate(times, start=1) if t < at]
            just_before = client.get(f"/v1/agents/{agent_id}/as-of", headers=auditor,
                                     params={"at": (at - timedelta(microseconds=1))
                                             .isoformat()})
            if earlier:
                assert just_before.json()["version"] == max(earlier)
            else:
                assert version == 1
                assert just_before.status_code == 404
                assert just_before.json()["code"] == "agent_not_yet_onboarded"


def test_changes_between_two_moments_name_each_field_and_event(
    write: AgentService, models: Models, client: TestClient, auditor: dict[str, str],
) -> None:
    agent_id = onboard(write)
    since = datetime.now(UTC)
    write.update(agent_id, cmd.UpdateAgent(office_code="NEWOF"), CLERK)
    added = license_body()
    number = added["number"]
    write.add_license(agent_id, cmd.AddLicense(**added), CLERK)
    write.suspend(agent_id, cmd.Decide(reason="late documents"), APPROVER)
    until = datetime.now(UTC)
    write.resume(agent_id, cmd.Decide(), APPROVER)

    response = client.get(f"/v1/agents/{agent_id}/changes", headers=auditor,
                          params={"from": since.isoformat(), "to": until.isoformat()})
    assert response.status_code == 200, response.text
    body = response.json()
    AgentChanges.model_validate(body)
    # onboarded with a license (versions 1 and 2), approved (3)
    assert (body["version_before"], body["version_after"]) == (3, 6)
    changed = {c["field"]: (c["before"], c["after"]) for c in body["changes"]}
    assert changed["office_code"][1] == "NEWOF"
    assert changed["status"] == ("ACTIVE", "SUSPENDED")
    assert changed[f"licenses.{number}"][0] is None
    assert set(changed) == {"office_code", "status", f"licenses.{number}"}
    assert [(e["type"], e["actor"], e["reason"]) for e in body["events"]] == [
        ("ProfileUpdated", "clerk-1", None), ("LicenseAdded", "clerk-1", None),
        ("Suspended", "approver-1", "late documents")]

    whole = client.get(f"/v1/agents/{agent_id}/changes", headers=auditor,
                       params={"from": (since - timedelta(days=1)).isoformat()}).json()
    assert whole["version_before"] is None
    assert [e["type"] for e in whole["events"]][-1] == "Resumed"


def test_replays_refuse_what_cannot_be_answered(
    write: AgentService, models: Models, client: TestClient, auditor: dict[str, str],
    viewer: dict[str, str],
) -> None:
    agent_id = onboard(write)
    path = f"/v1/agents/{agent_id}/as-of"
    cases: list[tuple[dict[str, str], dict[str, Any], int, str]] = [
        (auditor, {"at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, 422,
         "bad_moment"),
        (auditor, {"at": "2026-01-01T00:00:00"}, 422, "bad_moment"),
        (auditor, {"at": "2020-01-01T00:00:00Z", "version": 1}, 422, "bad_moment"),
        (auditor, {}, 422, "bad_moment"),
        (auditor, {"at": "2020-01-01T00:00:00Z"}, 404, "agent_not_yet_onboarded"),
        (auditor, {"version": 4}, 404, "version_not_found"),
        (auditor, {"at": "yesterday"}, 422, "invalid_request"),
    ]
    for headers, params, status, code in cases:
        response = client.get(path, headers=headers, params=params)
        assert (response.status_code, response.json().get("code")) == (status, code), params
    assert client.get(path, headers=viewer, params={"version": 1}).status_code == 403
    unknown = client.get(f"/v1/agents/{uuid4()}/as-of", headers=auditor,
                         params={"version": 1})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "agent_not_found")
    backwards = client.get(f"/v1/agents/{agent_id}/changes", headers=auditor,
                           params={"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"})
    assert (backwards.status_code, backwards.json()["code"]) == (422, "bad_moment")
