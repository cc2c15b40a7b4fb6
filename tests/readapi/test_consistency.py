"""Read models agree with the event store: dashboard counts, timeline and audit order."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from commands import models as cmd
from commands.service import AgentService
from consumers.log import EventLog
from tests.pipeline.workload import Workload
from tests.readapi.agents import APPROVER, CLERK, onboard
from tests.readapi.conftest import Models, items


def test_dashboard_counts_equal_counts_computed_from_the_event_store(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str]
) -> None:
    workload = Workload(write, seed=3)
    workload.run(150)
    models.catch_up()
    agents = [write.agent(a) for a in workload.agents]
    board = client.get("/v1/dashboard", headers=viewer).json()
    assert board["agents"] == len(agents)
    assert board["by_status"] == dict(Counter(a.status.value for a in agents))
    assert board["by_type"] == dict(Counter(a.agent_type.value for a in agents))
    assert board["by_region"] == dict(Counter(a.region.value for a in agents))
    assert board["pending_approvals"] == sum(a.status.value == "PENDING_APPROVAL"
                                             for a in agents)
    month = datetime.now(UTC).strftime("%Y-%m")
    assert board["onboardings_per_month"][-1] == {"month": month, "count": len(agents)}
    assert len(board["onboardings_per_month"]) == 12


def test_timeline_is_newest_first_and_audit_oldest_first_with_before_and_after(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str],
    auditor: dict[str, str],
) -> None:
    agent = onboard(write, office_code="PUN01")
    write.update(agent, cmd.UpdateAgent(office_code="PUN02"), CLERK)
    write.suspend(agent, cmd.Decide(reason="audit"), APPROVER)
    models.catch_up()
    log_types = [e.type for e in EventLog(write).read(0, 100).envelopes if e.agent_id == agent]

    timeline = items(client, f"/v1/agents/{agent}/timeline", viewer, limit=2)
    assert [e["type"] for e in timeline] == log_types[::-1]
    audit = items(client, f"/v1/agents/{agent}/audit", auditor, limit=2)
    assert [e["type"] for e in audit] == log_types
    updated = next(e for e in audit if e["type"] == "ProfileUpdated")
    assert updated["changes"] == [{"field": "office_code", "before": "PUN01",
                                   "after": "PUN02"}]
    suspended = audit[-1]
    assert suspended["actor"] == "approver-1"
    assert suspended["changes"] == [{"field": "status", "before": "ACTIVE",
                                     "after": "SUSPENDED"}]
    assert items(client, f"/v1/agents/{agent}/audit", auditor, actor="nobody") == []
    only = items(client, f"/v1/agents/{agent}/timeline", viewer, types="Suspended")
    assert [e["type"] for e in only] == ["Suspended"]


def test_notifications_list_approvals_waiting_and_status_changes(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str]
) -> None:
    agent = onboard(write)
    write.suspend(agent, cmd.Decide(reason="review"), APPROVER)
    models.catch_up()
    notices = items(client, "/v1/notifications", viewer, agent_id=str(agent), limit=1)
    assert [(n["type"], n["event_type"]) for n in notices] == [
        ("status_changed", "Suspended"), ("status_changed", "Approved"),
        ("approval_waiting", "Onboarded")]
    waiting = items(client, "/v1/notifications", viewer, type="approval_waiting")
    assert [n["agent_id"] for n in waiting] == [str(agent)]
