"""Commands through the write API, the relay, Kafka and a consumer, into the summary table."""

from __future__ import annotations

from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from commands.service import AgentService
from roster.settings import Settings
from roster.wiring import read_api, write_api
from tests.builders import license_body, onboard_body
from tests.pipeline.conftest import Roster
from tests.pipeline.workload import Workload, expected_summary, summary_rows, wait_for
from webkit.auth import Role, issue_token

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


def _headers(settings: Settings, role: Role) -> dict[str, str]:
    token = issue_token(settings.jwt_secret.get_secret_value(), f"{role.value}-1", role, 600)
    return {"Authorization": f"Bearer {token}"}


def test_write_api_to_summary_table_in_order(
    pipeline_settings: Settings, pipeline_service: AgentService, roster: Roster
) -> None:
    roster.start("relay")
    roster.start("consume")
    api = TestClient(write_api(pipeline_settings, pipeline_service))
    clerk, approver = (_headers(pipeline_settings, r) for r in (Role.CLERK, Role.APPROVER))
    created = api.post("/v1/agents", json=onboard_body(), headers=clerk)
    assert created.status_code == 201, created.text
    agent_id = created.json()["agent_id"]
    steps = [
        ("post", f"/v1/agents/{agent_id}/licenses", license_body(), clerk),
        ("post", f"/v1/agents/{agent_id}/approve", None, approver),
        ("post", f"/v1/agents/{agent_id}/suspend", {"reason": "audit"}, approver),
    ]
    for method, path, body, headers in steps:
        answer = api.request(method, path, json=body, headers=headers)
        assert answer.status_code == 200, answer.text
    Workload(pipeline_service).run(60)

    expected = expected_summary(pipeline_service)
    assert wait_for(lambda: summary_rows(pipeline_settings) == expected), "summary caught up"
    row = summary_rows(pipeline_settings)[UUID(agent_id)]
    assert (row.status, row.version, len(row.licenses)) == ("SUSPENDED", 5, 2)
    assert row.pan.startswith("XXXXX"), "only the masked PAN reaches a read model"


def test_read_api_reads_its_own_writes_through_kafka(
    pipeline_settings: Settings, pipeline_service: AgentService, roster: Roster
) -> None:
    settings = pipeline_settings.model_copy(update={"redis_prefix": pipeline_settings.kafka_topic,
                                                    "read_wait_seconds": 30.0})
    roster.start("relay")
    roster.start("consume", ROSTER_REDIS_PREFIX=settings.redis_prefix)
    with TestClient(write_api(settings, pipeline_service)) as writer, \
            TestClient(read_api(settings)) as reader:
        clerk, approver, viewer = (_headers(settings, r)
                                   for r in (Role.CLERK, Role.APPROVER, Role.VIEWER))
        boss = writer.post("/v1/agents", json=onboard_body(), headers=clerk).json()["agent_id"]
        writer.post(f"/v1/agents/{boss}/approve", headers=approver)
        agent = writer.post("/v1/agents", json=onboard_body(manager_id=boss), headers=clerk).json()
        approved = writer.post(f"/v1/agents/{agent['agent_id']}/approve", headers=approver).json()

        read = reader.get(f"/v1/agents/{agent['agent_id']}", headers=viewer,
                          params={"min_position": approved["position"]})
        assert read.status_code == 200, read.text
        assert read.json()["status"] == "ACTIVE"
        assert [c["agent_id"] for c in read.json()["manager_chain"]] == [boss]
        assert int(read.headers["X-Read-Position"]) >= approved["position"]
        found = reader.get("/v1/agents", params={"manager_id": boss,
                                                 "min_position": approved["position"]},
                           headers=viewer).json()["items"]
        assert [a["agent_id"] for a in found] == [agent["agent_id"]]
        assert wait_for(lambda: reader.get(f"/v1/agents/{agent['agent_id']}/timeline",
                                           headers=viewer).json()["items"])
