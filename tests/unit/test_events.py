"""The read side's typed events match the `Agent` events field for field, and every event the
aggregate records parses into its class."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta
from typing import Any, get_type_hints
from uuid import uuid4

import pytest

from consumers.log import envelope_of
from domain.agent import Agent
from domain.values import (
    License,
    LicenseType,
    Provenance,
    ReinstatementReason,
    TerminationReason,
)
from projections import events
from projections.envelope import Envelope
from tests.agents import active_agent

_IDENTITY = {"originator_id", "originator_version", "timestamp", "originator_topic",
             "provenance"}
_SAME_ON_THE_READ_SIDE = {License: events.LicenseTerms}
"""Domain types that arrive as another class on the read side."""


def _agent_event_classes() -> list[type[Any]]:
    """The events `Agent` records: `Agent.Event` and the library's default `Agent.Created`
    (never recorded: `Onboarded` creates an agent) are bases, not events."""
    return [cls for cls in vars(Agent).values()
            if isinstance(cls, type) and issubclass(cls, Agent.Event)
            and cls not in (Agent.Event, Agent.Created)]


def _fields(cls: type[Any]) -> dict[str, Any]:
    hints = get_type_hints(cls)
    return {f.name: _SAME_ON_THE_READ_SIDE.get(hints[f.name], hints[f.name])
            for f in fields(cls) if f.name not in _IDENTITY}


def test_every_agent_event_has_a_read_side_class() -> None:
    domain = {cls.__name__ for cls in _agent_event_classes()}
    assert domain == set(events.EVENT_TYPES)


@pytest.mark.parametrize("cls", _agent_event_classes(), ids=lambda cls: cls.__name__)
def test_read_side_class_has_the_same_fields_and_types(cls: type[Any]) -> None:
    read_side = events.EVENT_TYPES[cls.__name__]
    assert _fields(read_side) == _fields(cls)


def test_license_terms_match_the_domain_license() -> None:
    assert _fields(events.LicenseTerms) == _fields(License)


def _full_life() -> list[Envelope]:
    by, other = Provenance("alice", "c1"), Provenance("bob", "c2")
    agent = active_agent(7)
    agent.update({"first_name": "Asha", "bank_account": "123456789"}, by)
    agent.renew_license("LIC-0007", date(2031, 1, 1), by)
    agent.revoke_license("LIC-0007", date.today(), "lapsed", by)
    agent.add_license(License("LIC-7777", LicenseType.LIFE, date.today(),
                              date.today() + timedelta(days=400)), by)
    agent.suspend("check", by)
    agent.resume(None, by)
    report = uuid4()
    agent.assign_report(report, by)
    agent.release_report(report, by)
    agent.change_manager(uuid4(), "moved", by)
    agent.terminate(TerminationReason.RESIGNATION, "left", None, by)
    agent.request_reinstatement(ReinstatementReason.APPEAL_UPHELD, "appeal", by)
    agent.reject_reinstatement("no", other)
    agent.request_reinstatement(ReinstatementReason.OTHER, None, by)
    agent.approve_reinstatement(date.today(), other)
    agent.disclose_personal_data(["pan"], "a court order asks", other)
    agent.terminate(TerminationReason.RESIGNATION, "left again", None, by)
    agent.erase_personal_data("the agent asked for erasure", other)
    return [envelope_of(e, n) for n, e in enumerate(agent.collect_events(), start=1)]


def test_every_recorded_event_parses_into_its_class() -> None:
    envelopes = _full_life()
    for envelope in envelopes:
        assert type(envelope.event).__name__ == envelope.type
        again = Envelope.from_json(envelope.to_json())
        assert again.event == envelope.event
    assert {e.type for e in envelopes} >= set(events.EVENT_TYPES) - {"Rejected"}


def test_a_payload_missing_a_field_is_refused_with_its_name() -> None:
    envelope = _full_life()[0]
    broken = Envelope.from_json(envelope.to_json().replace(b'"agent_code"', b'"code"'))
    with pytest.raises(events.BadPayload, match="agent_code"):
        _ = broken.event
