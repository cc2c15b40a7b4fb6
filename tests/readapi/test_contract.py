"""The read API answers what its OpenAPI document declares: every 200 body validates against the
route's response model (no field missing, none extra), and every error is a declared problem."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from pydantic import BaseModel

from commands import models as cmd
from commands.service import AgentService
from projections.catalog import PROJECTIONS
from readapi import schemas
from roster.settings import Settings
from tests.builders import license_body
from tests.readapi.agents import APPROVER, CLERK, move, onboard
from tests.readapi.conftest import Models, bearer
from webkit.auth import Role
from webkit.openapi import PROBLEM_MEDIA_TYPE, Live, ProblemDetails


def _valid(model: type[BaseModel], client: TestClient, path: str,
           headers: dict[str, str], **params: Any) -> Any:
    answer = client.get(path, params=params, headers=headers)
    assert answer.status_code == 200, (path, answer.text)
    assert answer.headers["content-type"] == "application/json"
    return model.model_validate_json(answer.content)


def test_every_answer_validates_against_its_declared_model(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str],
    auditor: dict[str, str], read_settings: Settings,
) -> None:
    boss = onboard(write, first_name="Meera", last_name="Kulkarni")
    agent = onboard(write, boss, first_name="Ravi", last_name="Shankar",
                    licenses=[license_body(), license_body()])
    write.update(agent, cmd.UpdateAgent(email="ravi@example.com"), CLERK)
    write.suspend(agent, cmd.Decide(reason="check"), APPROVER)
    move(write, agent, None)
    models.catch_up()

    page = _valid(schemas.AgentsPage, client, "/v1/agents", viewer, q="ravi")
    assert page.items[0].agent_id == agent
    profile = _valid(schemas.ProfilePublic, client, f"/v1/agents/{agent}", viewer)
    assert [c.status for c in profile.status_history][-1] == "SUSPENDED"
    _valid(schemas.ProfilePublic, client, f"/v1/agents/{boss}", viewer)
    _valid(schemas.TimelinePage, client, f"/v1/agents/{agent}/timeline", viewer)
    audit = _valid(schemas.AuditPage, client, f"/v1/agents/{agent}/audit", auditor)
    assert any(change.field == "email" for e in audit.items for change in e.changes)
    as_of = _valid(schemas.AgentAsOf, client, f"/v1/agents/{agent}/as-of", auditor, version=3)
    assert (as_of.version, as_of.state.agent_id) == (3, agent)
    _valid(schemas.AgentChanges, client, f"/v1/agents/{agent}/changes", auditor,
           **{"from": "2020-01-01T00:00:00Z"})
    _valid(schemas.NotificationsPage, client, "/v1/notifications", viewer)
    _valid(schemas.Hierarchy, client, f"/v1/agents/{boss}/hierarchy", viewer)
    _valid(schemas.Subtree, client, f"/v1/agents/{boss}/subtree", viewer)
    dashboard = _valid(schemas.Dashboard, client, "/v1/dashboard", viewer)
    assert dashboard.as_of == date.today()
    _valid(schemas.Lookup, client, "/v1/lookups/regions", viewer)
    ops = _valid(schemas.ProjectionsOps, client, "/v1/ops/projections",
                 bearer(read_settings, Role.OPERATOR))
    assert {p.projection for p in ops.projections} == set(PROJECTIONS)
    assert all(p.live is not None and p.lag_positions == 0 for p in ops.projections)
    assert client.get("/v1/ops/projections", headers=viewer).status_code == 403
    _valid(Live, client, "/health/live", {})
    _valid(schemas.Ready, client, "/health/ready", {})


def test_errors_are_problems_with_a_status_the_route_declares(
    client: TestClient, viewer: dict[str, str], models: Models
) -> None:
    models.catch_up()
    document = client.get("/openapi.json").json()
    for path, route, params in [
        ("/v1/agents/00000000-0000-0000-0000-000000000001", "/v1/agents/{agent_id}", {}),
        ("/v1/agents", "/v1/agents", {"cursor": "not-a-cursor"}),
        ("/v1/agents", "/v1/agents", {"min_position": 10**9}),
        ("/v1/lookups/moods", "/v1/lookups/{kind}", {}),
        ("/v1/agents/00000000-0000-0000-0000-000000000001/as-of",
         "/v1/agents/{agent_id}/as-of", {"version": 0}),
    ]:
        answer = client.get(path, params=params, headers=viewer)
        assert answer.headers["content-type"] == PROBLEM_MEDIA_TYPE
        ProblemDetails.model_validate_json(answer.content)
        declared = document["paths"][route]["get"]["responses"]
        assert str(answer.status_code) in declared, (path, answer.status_code)
        assert PROBLEM_MEDIA_TYPE in declared[str(answer.status_code)]["content"]


def test_the_openapi_document_names_a_response_schema_for_every_route(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            success = min(s for s in operation["responses"] if s[0] == "2")
            if success == "204":
                continue
            content = operation["responses"][success]["content"]
            assert content, (method, path)
            assert all(media["schema"] for media in content.values()), (method, path)
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], (path, status)
