"""Erasure and audited disclosure through the write API, on both stores."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from commands.service import AgentService
from tests.api.conftest import Caller
from tests.api.test_agent_routes import problem
from tests.builders import onboard_body

WHY = "the person asked for erasure"
AUDIT = "quarterly audit of payouts"


def _terminated(clerk: Caller, approver: Caller, **body: Any) -> str:
    agent = clerk.onboard(**body)
    assert approver.post(f"/v1/agents/{agent}/approve").status_code == 200
    answer = approver.post(f"/v1/agents/{agent}/terminate", {"reason_code": "RESIGNATION"})
    assert answer.status_code == 200, answer.text
    return agent


def test_an_erasure_turns_personal_values_into_the_marker_and_keeps_history(
    clerk: Caller, approver: Caller, auditor: Caller
) -> None:
    body = onboard_body(bank_account="123456789012")
    agent = _terminated(clerk, approver, **body)
    erased = approver.post(f"/v1/agents/{agent}/erasure", {"reason": WHY})
    assert erased.status_code == 200, erased.text
    shown = auditor.get(f"/v1/agents/{agent}/personal-data?reason={AUDIT}").json()
    assert shown["fields"] == dict.fromkeys(
        ("aadhaar", "bank_account", "email", "phone", "pan"), "erased")
    events = auditor.get(f"/v1/agents/{agent}/events").json()["events"]
    assert [e["type"] for e in events] == [
        "Onboarded", "LicenseAdded", "Approved", "Terminated", "PersonalDataErased",
        "PersonalDataDisclosed"]
    assert events[0]["payload"]["pan"] == events[0]["payload"]["email"] == "erased"
    assert events[0]["payload"]["agent_code"] == body["agent_code"], "history stays"


def test_a_second_erasure_is_a_conflict(clerk: Caller, approver: Caller) -> None:
    agent = _terminated(clerk, approver)
    assert approver.post(f"/v1/agents/{agent}/erasure", {"reason": WHY}).status_code == 200
    problem(approver.post(f"/v1/agents/{agent}/erasure", {"reason": WHY}), 409,
            "personal_data_erased")
    problem(clerk.post(f"/v1/agents/{agent}/reinstatement",
                       {"reason_code": "APPEAL_UPHELD"}), 409, "personal_data_erased")


def test_an_active_agent_cannot_be_erased_and_only_an_approver_erases(
    clerk: Caller, approver: Caller
) -> None:
    agent = clerk.onboard()
    assert approver.post(f"/v1/agents/{agent}/approve").status_code == 200
    problem(approver.post(f"/v1/agents/{agent}/erasure", {"reason": WHY}), 409,
            "transition_not_allowed")
    problem(clerk.post(f"/v1/agents/{agent}/erasure", {"reason": WHY}), 403, "forbidden")
    problem(approver.post(f"/v1/agents/{agent}/erasure", {"reason": "because"}), 422,
            "invalid_request")


def test_a_disclosure_needs_an_auditor_and_a_reason_and_is_recorded(
    clerk: Caller, viewer: Caller, auditor: Caller
) -> None:
    body = onboard_body()
    agent = clerk.onboard(**body)
    path = f"/v1/agents/{agent}/personal-data"
    problem(auditor.get(path), 422, "invalid_request")
    problem(auditor.get(f"{path}?reason=curious"), 422, "invalid_request")
    problem(viewer.get(f"{path}?reason={AUDIT}"), 403, "forbidden")
    shown = auditor.get(f"{path}?reason={AUDIT}&fields=pan&fields=email")
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert shown.json()["fields"] == {"pan": body["pan"], "email": body["email"]}
    last = auditor.get(f"/v1/agents/{agent}/events").json()["events"][-1]
    assert last["type"] == "PersonalDataDisclosed"
    assert last["payload"]["fields"] == ["email", "pan"]
    assert last["payload"]["reason"] == AUDIT
    assert last["payload"]["provenance"]["actor"] == "auditor-dan"


def test_other_agents_still_decrypt_after_an_erasure(
    service: AgentService, clerk: Caller, approver: Caller
) -> None:
    keep = onboard_body()
    kept = UUID(clerk.onboard(**keep))
    gone = _terminated(clerk, approver)
    assert approver.post(f"/v1/agents/{gone}/erasure", {"reason": WHY}).status_code == 200
    assert service.agent(kept).pan == keep["pan"]
    assert service.agent(UUID(gone)).pan == "erased"
