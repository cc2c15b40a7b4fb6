"""The rules of the agent lifecycle, checked on the aggregate alone."""

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.agent import Agent
from domain.errors import (
    HierarchyCycle,
    LicenseNotActive,
    LicenseNotFound,
    LicenseRequired,
    ManagerNotActive,
    NothingToChange,
    PersonalDataErased,
    ReportsNotReassigned,
    RuleBroken,
    SecondApproverRequired,
    TransitionNotAllowed,
)
from domain.values import AgentStatus, ReinstatementReason, TerminationReason
from tests.agents import BY, OTHER, active_agent, license_, new_agent
from tests.builders import TODAY


def status(agent: Agent) -> AgentStatus:
    return agent.status


def terminated_agent() -> Agent:
    agent = active_agent()
    agent.terminate(TerminationReason.RESIGNATION, None, None, BY)
    return agent


def test_a_new_agent_waits_for_approval() -> None:
    assert status(new_agent()) is AgentStatus.PENDING_APPROVAL


def test_approval_needs_a_license() -> None:
    with pytest.raises(LicenseRequired):
        new_agent().approve(TODAY, OTHER)


def test_approval_needs_a_license_that_has_not_expired() -> None:
    agent = new_agent()
    agent.add_license(license_(expires_on=TODAY - timedelta(days=1)), BY)
    with pytest.raises(LicenseRequired):
        agent.approve(TODAY, OTHER)


def test_approval_ignores_a_revoked_license() -> None:
    agent = new_agent()
    agent.add_license(license_(), BY)
    agent.revoke_license("LIC-0001", TODAY, "fraud", BY)
    with pytest.raises(LicenseRequired):
        agent.approve(TODAY, OTHER)


def test_an_approved_agent_is_active() -> None:
    assert status(active_agent()) is AgentStatus.ACTIVE


def test_a_rejected_agent_cannot_be_approved() -> None:
    agent = new_agent()
    agent.reject("incomplete", OTHER)
    with pytest.raises(TransitionNotAllowed):
        agent.approve(TODAY, OTHER)


def test_only_an_active_agent_can_be_suspended_and_only_a_suspended_one_resumed() -> None:
    agent = active_agent()
    with pytest.raises(TransitionNotAllowed):
        agent.resume(None, OTHER)
    agent.suspend("audit", OTHER)
    assert status(agent) is AgentStatus.SUSPENDED
    with pytest.raises(TransitionNotAllowed):
        agent.suspend("again", OTHER)
    agent.resume(None, OTHER)
    assert status(agent) is AgentStatus.ACTIVE


def test_a_suspended_agent_can_be_terminated() -> None:
    agent = active_agent()
    agent.suspend(None, OTHER)
    agent.terminate(TerminationReason.MISCONDUCT, "fraud", None, OTHER)
    assert status(agent) is AgentStatus.TERMINATED


def test_a_pending_agent_cannot_be_terminated() -> None:
    with pytest.raises(TransitionNotAllowed):
        new_agent().terminate(TerminationReason.OTHER, None, None, OTHER)


def test_terminating_an_agent_with_reports_needs_a_new_manager_for_them() -> None:
    agent = active_agent()
    agent.assign_report(uuid4(), BY)
    with pytest.raises(ReportsNotReassigned):
        agent.terminate(TerminationReason.RESIGNATION, None, None, OTHER)


def test_reinstatement_is_requested_only_for_a_terminated_agent() -> None:
    with pytest.raises(TransitionNotAllowed):
        active_agent().request_reinstatement(ReinstatementReason.APPEAL_UPHELD, None, BY)


def test_reinstatement_needs_a_second_approver() -> None:
    agent = terminated_agent()
    agent.request_reinstatement(ReinstatementReason.APPEAL_UPHELD, None, BY)
    with pytest.raises(SecondApproverRequired):
        agent.approve_reinstatement(TODAY, BY)
    agent.approve_reinstatement(TODAY, OTHER)
    assert status(agent) is AgentStatus.ACTIVE


def test_a_rejected_reinstatement_leaves_the_agent_terminated() -> None:
    agent = terminated_agent()
    agent.request_reinstatement(ReinstatementReason.OTHER, None, BY)
    assert status(agent) is AgentStatus.REINSTATEMENT_PENDING
    agent.reject_reinstatement("no", OTHER)
    assert status(agent) is AgentStatus.TERMINATED


def test_reinstatement_needs_a_license_in_force() -> None:
    agent = terminated_agent()
    agent.revoke_license("LIC-0001", TODAY, None, BY)
    agent.request_reinstatement(ReinstatementReason.RELICENSED, None, BY)
    with pytest.raises(LicenseRequired):
        agent.approve_reinstatement(TODAY, OTHER)


def test_a_manager_must_be_active_to_take_a_report() -> None:
    with pytest.raises(ManagerNotActive):
        new_agent().check_can_take_report(uuid4(), [])


def test_an_agent_cannot_report_to_itself_or_to_its_own_subtree() -> None:
    manager = active_agent()
    with pytest.raises(HierarchyCycle):
        manager.check_can_take_report(manager.id, [])
    report = uuid4()
    with pytest.raises(HierarchyCycle):
        manager.check_can_take_report(report, [uuid4(), report])


def test_an_update_that_changes_nothing_is_refused() -> None:
    with pytest.raises(NothingToChange):
        new_agent().update({"first_name": "Asha"}, BY)


def test_identity_numbers_cannot_be_updated() -> None:
    with pytest.raises(RuleBroken, match="pan"):
        new_agent().update({"pan": "ZZZZZ9999Z"}, BY)


def test_an_update_records_only_the_fields_that_change() -> None:
    agent = new_agent()
    agent.update({"first_name": "Asha", "last_name": "Iyer"}, BY)
    assert agent.collect_events()[-1].changes == {"last_name": "Iyer"}  # type: ignore[attr-defined]


def test_a_renewal_moves_the_expiry_later_only() -> None:
    agent = active_agent()
    expiry = agent.licenses["LIC-0001"].expires_on
    with pytest.raises(RuleBroken):
        agent.renew_license("LIC-0001", expiry, BY)
    agent.renew_license("LIC-0001", expiry + timedelta(days=30), BY)
    assert agent.licenses["LIC-0001"].expires_on == expiry + timedelta(days=30)


def test_a_revoked_license_cannot_be_renewed_or_revoked_again() -> None:
    agent = active_agent()
    agent.revoke_license("LIC-0001", TODAY, None, BY)
    with pytest.raises(LicenseNotActive):
        agent.renew_license("LIC-0001", TODAY + timedelta(days=900), BY)
    with pytest.raises(LicenseNotActive):
        agent.revoke_license("LIC-0001", TODAY, None, BY)


def test_an_unknown_license_is_named_in_the_refusal() -> None:
    with pytest.raises(LicenseNotFound, match="LIC-9999"):
        active_agent().revoke_license("LIC-9999", TODAY, None, BY)


def test_every_event_carries_its_provenance() -> None:
    agent = active_agent()
    actors = [e.provenance.actor for e in agent.collect_events()]  # type: ignore[attr-defined]
    assert actors == ["alice", "alice", "bob"]


def test_only_a_terminated_or_rejected_agent_is_erased() -> None:
    for agent in (new_agent(), active_agent()):
        with pytest.raises(TransitionNotAllowed):
            agent.erase_personal_data("the agent asked for it", BY)
    rejected = new_agent()
    rejected.reject(None, BY)
    rejected.erase_personal_data("the agent asked for it", BY)
    assert rejected.erased


def test_an_erased_agent_is_not_erased_again_nor_changed() -> None:
    agent = terminated_agent()
    agent.erase_personal_data("the agent asked for it", BY)
    with pytest.raises(PersonalDataErased):
        agent.erase_personal_data("once more, please", BY)
    with pytest.raises(PersonalDataErased):
        agent.request_reinstatement(ReinstatementReason.APPEAL_UPHELD, None, BY)
    with pytest.raises(PersonalDataErased):
        agent.update({"first_name": "Asha"}, BY)
