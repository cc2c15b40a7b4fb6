"""The published envelope: masked personal data, a JSON round trip, unknown versions refused."""

from __future__ import annotations

import orjson
import pytest

from consumers.log import envelope_of
from domain.agent import Agent
from projections.envelope import Envelope, UnknownEnvelope
from tests.agents import active_agent, new_agent


def _onboarded() -> Envelope:
    agent = new_agent(3)
    return envelope_of(agent.collect_events()[0], position=41)


def test_envelope_carries_identity_position_and_provenance() -> None:
    envelope = _onboarded()
    assert (envelope.type, envelope.agent_version, envelope.position) == ("Onboarded", 1, 41)
    assert (envelope.actor, envelope.correlation_id, envelope.source) == ("alice", "corr-1", "api")
    assert "provenance" not in envelope.payload


def test_personal_values_are_masked_before_they_leave() -> None:
    agent = new_agent(3)
    envelope = envelope_of(agent.collect_events()[0], position=1)
    wire = envelope.to_json()
    assert agent.pan.encode() not in wire
    assert agent.aadhaar.encode() not in wire
    assert envelope.payload["pan"] == "XXXXX" + agent.pan[5:9] + "X"


def test_envelope_round_trips_through_json_unchanged() -> None:
    events = active_agent(4).collect_events()
    for position, event in enumerate(events, start=1):
        envelope = envelope_of(event, position)
        assert Envelope.from_json(envelope.to_json()) == envelope
    assert isinstance(events[0], Agent.Onboarded)


def test_event_ids_are_stable_per_agent_version() -> None:
    event = new_agent(5).collect_events()[0]
    assert envelope_of(event, 1).event_id == envelope_of(event, 99).event_id


@pytest.mark.parametrize("data", [
    b"not json", b"{}", orjson.dumps({"schema": 2}),
    orjson.dumps({**orjson.loads(_onboarded().to_json()), "schema": 2}),
])
def test_anything_but_a_known_envelope_is_refused(data: bytes) -> None:
    with pytest.raises(UnknownEnvelope):
        Envelope.from_json(data)
