"""The agent summary absorbs the relay's re-sends: any replay of prefixes folds to the same rows,
and a missing event is refused instead of being skipped over."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consumers.log import envelope_of
from domain.values import Provenance
from projections.agent_summary import AgentSummary, fold
from projections.envelope import Envelope
from projections.projection import OutOfOrder
from tests.agents import BY, OTHER, active_agent, license_
from tests.builders import TODAY


def _log(agents: int) -> list[Envelope]:
    envelopes: list[Envelope] = []
    for n in range(1, agents + 1):
        agent = active_agent(n)
        agent.add_license(license_(f"LIC-X{n:03d}"), BY)
        agent.suspend("review", OTHER)
        agent.resume(None, Provenance("carol", "corr-3"))
        agent.revoke_license(f"LIC-X{n:03d}", TODAY, "lapsed", BY)
        envelopes += [envelope_of(e, 0) for e in agent.collect_events()]
    return [replace(e, position=i) for i, e in enumerate(envelopes, 1)]


LOG = _log(3)


@given(st.lists(st.integers(0, len(LOG)), max_size=8).map(sorted), st.data())
def test_relay_crashes_and_resends_fold_to_the_same_rows(
    crashes: list[int], data: st.DataObject
) -> None:
    delivered: list[Envelope] = []
    saved = 0
    for crash in crashes:  # the relay sent up to `crash`, saved some position, and died
        crash = max(crash, saved)
        delivered += LOG[saved:crash]
        saved = data.draw(st.integers(saved, crash))
    delivered += LOG[saved:]
    clean: dict[UUID, AgentSummary] = {}
    fold(clean, LOG)
    replayed: dict[UUID, AgentSummary] = {}
    fold(replayed, delivered)
    assert replayed == clean


@given(st.integers(1, len(LOG) - 1))
def test_a_missing_event_is_refused(gap: int) -> None:
    skipped = LOG[:gap] + LOG[gap + 1:]
    rows: dict[UUID, AgentSummary] = {}
    if all(e.agent_id != LOG[gap].agent_id for e in LOG[gap + 1:]):
        return
    with pytest.raises(OutOfOrder):
        fold(rows, skipped)
