"""The log decodes each stored agent event straight into its envelope, without building the
domain event: for every event type, on both stores, that envelope equals the one made from
the domain event (masked values, ids, dates and provenance alike)."""

from __future__ import annotations

from datetime import timedelta

from commands import models as cmd
from commands.service import AgentService
from consumers.log import AGENT_TOPIC_PREFIX, EventLog, envelope_of, published
from projections.events import EVENT_TYPES
from tests.builders import TODAY, license_body, onboard_body
from tests.readapi.agents import APPROVER, CLERK

OTHER_APPROVER = APPROVER.__class__.by("approver-2", "corr-2")


def _every_kind_of_event(write: AgentService) -> None:
    boss = write.onboard(cmd.OnboardAgent(**onboard_body()), CLERK).agent_id
    write.approve(boss, APPROVER)
    body = onboard_body(manager_id=str(boss), bank_account="123456789012")
    agent = write.onboard(cmd.OnboardAgent(**body), CLERK).agent_id
    lic = license_body()
    write.add_license(agent, cmd.AddLicense(**lic), CLERK)
    write.renew_license(agent, lic["number"], cmd.RenewLicense(
        expires_on=TODAY + timedelta(days=800)), CLERK)
    write.revoke_license(agent, lic["number"], cmd.Decide(reason="lapsed"), CLERK)
    write.update(agent, cmd.UpdateAgent(email="x@example.com", bank_account="987654321098"),
                 CLERK)
    write.approve(agent, APPROVER)
    write.suspend(agent, cmd.Decide(reason="check"), APPROVER)
    write.resume(agent, cmd.Decide(), APPROVER)
    write.change_manager(agent, cmd.ChangeManager(manager_id=None), CLERK)
    write.change_manager(agent, cmd.ChangeManager(manager_id=boss), CLERK)
    write.terminate(agent, cmd.TerminateAgent(reason_code="RESIGNATION"), APPROVER)
    write.request_reinstatement(agent, cmd.RequestReinstatement(reason_code="APPEAL_UPHELD"),
                                CLERK)
    write.reject_reinstatement(agent, cmd.Decide(reason="no"), OTHER_APPROVER)
    write.request_reinstatement(agent, cmd.RequestReinstatement(reason_code="OTHER"), CLERK)
    write.approve_reinstatement(agent, OTHER_APPROVER)
    pending = write.onboard(cmd.OnboardAgent(**onboard_body()), CLERK).agent_id
    write.reject(pending, cmd.Decide(reason="incomplete"), APPROVER)
    write.disclose(pending, ["pan"], "an audit asked for it", OTHER_APPROVER)
    write.erase(pending, cmd.ErasePersonalData(reason="the person asked for erasure"),
                APPROVER)


def test_every_event_decodes_to_the_envelope_of_its_domain_event(service: AgentService) -> None:
    _every_kind_of_event(service)
    page = EventLog(service).read(0, 10_000)
    notifications = [n for n in service.recorder.select_notifications(start=0, limit=10_000)
                     if n.topic.startswith(AGENT_TOPIC_PREFIX)]
    slow = [envelope_of(service.mapper.to_domain_event(n), n.id) for n in notifications]
    events = EventLog(service)
    assert [published(n, events.stored(n)) for n in notifications] == slow
    assert page.envelopes == slow
    assert [e.payload for e in page.envelopes] == [e.payload for e in slow]
    assert {e.type for e in page.envelopes} == set(EVENT_TYPES)
    assert any(e.payload.get("bank_account") == "XXXXXXXX9012" for e in page.envelopes)
    erased = [e for e in page.envelopes if e.type == "Onboarded"][-1].payload
    assert erased["pan"] == erased["email"] == "erased", "the rejected agent's onboarding"
