"""Every endpoint of the read API, on read models fed from a real event store."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from fastapi.testclient import TestClient

from commands import models as cmd
from commands.service import AgentService
from roster.settings import Settings
from roster.wiring import read_api
from tests.builders import license_body, onboard_body
from tests.readapi.agents import CLERK, onboard
from tests.readapi.conftest import Models, items


def test_an_onboarded_agent_shows_in_search_profile_timeline_and_hierarchy(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str]
) -> None:
    boss = onboard(write, first_name="Meera", last_name="Kulkarni")
    agent = onboard(write, boss, first_name="Ravi", last_name="Shankar", region="SOUTH")
    models.catch_up()

    found = client.get("/v1/agents", params={"q": "Shankr"}, headers=viewer)
    assert found.status_code == 200, found.text
    assert [a["agent_id"] for a in found.json()["items"]] == [str(agent)]
    assert int(found.headers["X-Read-Position"]) > 0

    profile = client.get(f"/v1/agents/{agent}", headers=viewer)
    assert profile.status_code == 200, profile.text
    body = profile.json()
    assert body["status"] == "ACTIVE"
    assert body["pan"].startswith("XXXXX")
    assert [c["agent_id"] for c in body["manager_chain"]] == [str(boss)]
    assert profile.headers["ETag"] == f'"{write.agent(agent).version}"'
    assert client.get(f"/v1/agents/{boss}", headers=viewer).json()["direct_reports"] == [
        str(agent)]

    timeline = client.get(f"/v1/agents/{agent}/timeline", headers=viewer).json()["items"]
    assert [e["type"] for e in timeline] == ["Approved", "LicenseAdded", "Onboarded"]
    assert timeline[0]["summary"] == "Approved by approver-1"

    tree = client.get(f"/v1/agents/{boss}/hierarchy", headers=viewer).json()
    assert tree["chain"] == []
    assert [r["agent_id"] for r in tree["direct_reports"]] == [str(agent)]
    assert tree["subtree_size"] == 1


def test_unknown_agent_is_404_and_bad_parameters_are_422_problems(
    client: TestClient, viewer: dict[str, str], models: Models
) -> None:
    models.catch_up()
    missing = client.get(f"/v1/agents/{UUID(int=1)}", headers=viewer)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    for path, params in [("/v1/agents", {"limit": 500}), ("/v1/agents", {"status": "ASLEEP"}),
                         ("/v1/agents", {"cursor": "not-a-cursor"}),
                         ("/v1/agents/not-a-uuid", {}),
                         (f"/v1/agents/{UUID(int=1)}/timeline", {"from": "yesterday"}),
                         ("/v1/notifications", {"type": "gossip"}),
                         (f"/v1/agents/{UUID(int=1)}/subtree", {"max_depth": 0}),
                         ("/v1/lookups/moods", {})]:
        response = client.get(path, params=params, headers=viewer)
        assert response.status_code == 422, (path, params, response.text)
        assert response.json()["status"] == 422


def test_reads_need_a_token_and_the_audit_log_needs_an_auditor(
    client: TestClient, viewer: dict[str, str], models: Models
) -> None:
    assert client.get("/v1/agents").status_code == 401
    assert client.get(f"/v1/agents/{UUID(int=1)}/audit", headers=viewer).status_code == 403


def test_search_filters_each_narrow_the_result(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str]
) -> None:
    boss = onboard(write, office_code="DEL01", region="NORTH")
    soon = date.today() + timedelta(days=10)
    expiring = onboard(write, boss, office_code="DEL01", region="NORTH",
                       agent_type="BROKER", licenses=[license_body(expires_on=soon)])
    pending = write.onboard(cmd.OnboardAgent(**onboard_body(region="EAST")), CLERK).agent_id
    models.catch_up()

    def ids(**params: object) -> set[str]:
        return {a["agent_id"] for a in items(client, "/v1/agents", viewer, **params)}

    assert ids(status="PENDING_APPROVAL") == {str(pending)}
    assert ids(agent_type="BROKER") == {str(expiring)}
    assert ids(office_code="DEL01") == {str(boss), str(expiring)}
    assert ids(region="EAST") == {str(pending)}
    assert ids(manager_id=str(boss)) == {str(expiring)}
    assert ids(license_expiring_within_days=30) == {str(expiring)}
    assert ids(license_expiring_within_days=5) == set()
    assert ids(office_code="DEL01", agent_type="INDIVIDUAL") == {str(boss)}


def test_lookups_list_their_values(client: TestClient, viewer: dict[str, str]) -> None:
    statuses = client.get("/v1/lookups/statuses", headers=viewer).json()["values"]
    assert "REINSTATEMENT_PENDING" in statuses
    for kind in ("agent-types", "license-types", "termination-reasons",
                 "reinstatement-reasons"):
        assert client.get(f"/v1/lookups/{kind}", headers=viewer).json()["values"]


def test_before_any_consumer_ran_reads_are_503_read_model_missing(
    read_settings: Settings, viewer: dict[str, str]
) -> None:
    with TestClient(read_api(read_settings), raise_server_exceptions=False) as bare:
        answer = bare.get("/v1/agents", headers=viewer)
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "read_model_missing"
