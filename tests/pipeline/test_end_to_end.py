"""Commands through the write API, the relay, Kafka and a consumer, into the summary table."""

from __future__ import annotations

from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from commands.service import AgentService
from roster.settings import Settings
from roster.wiring import write_api
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
