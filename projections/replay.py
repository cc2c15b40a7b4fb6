"""Audit replays of one agent: its state after any prefix of its events, and what changed
between two moments, folded from the event store's events (never from a read model)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections import audit, profile
from projections import events as ev
from projections.document_table import Document
from projections.envelope import Envelope


@dataclass(frozen=True)
class Replayed:
    """An agent's state after its event `last`, as the profile read model folds it."""

    state: Document
    last: Envelope


def _prefix(envelopes: Sequence[Envelope], keep: Callable[[Envelope], bool]) -> list[Envelope]:
    """The events up to the first that `keep` refuses (an agent's history is a prefix, even
    should a clock have stepped back between two of its events)."""
    taken: list[Envelope] = []
    for env in envelopes:
        if not keep(env):
            break
        taken.append(env)
    return taken


def _fold(envelopes: Sequence[Envelope]) -> Replayed | None:
    state: Document | None = None
    for env in envelopes:
        state = profile.evolve(state, env)
    if state is None:
        return None
    return Replayed(state, envelopes[-1])


def at_time(envelopes: Sequence[Envelope], at: datetime) -> Replayed | None:
    """The state after the last event at or before `at`; None when the agent did not exist
    yet."""
    return _fold(_prefix(envelopes, lambda env: env.occurred_at <= at))


def at_version(envelopes: Sequence[Envelope], version: int) -> Replayed | None:
    """The state after the event `version`; None when the agent has no such version."""
    if not 1 <= version <= len(envelopes):
        return None
    return _fold(envelopes[:version])


@dataclass(frozen=True)
class Changes:
    """What differs between an agent's states at two moments, and the events between them."""

    before: Replayed | None
    after: Replayed | None
    fields: list[dict[str, Any]]
    between: list[Envelope]


def between(envelopes: Sequence[Envelope], since: datetime, until: datetime) -> Changes:
    """The fields whose values differ between the states at `since` and at `until`, with the
    events after `since` up to and including `until`."""
    before = at_time(envelopes, since)
    after = at_time(envelopes, until)
    done = 0 if before is None else before.last.agent_version
    reached = 0 if after is None else after.last.agent_version
    fields = [] if after is None else audit.changes(
        None if before is None else before.state, after.state)
    return Changes(before, after, fields, list(envelopes[done:reached]))


def described(env: Envelope) -> dict[str, Any]:
    """One event as a replay names it: what, when, by whom, from where, and why."""
    return {"type": env.type, "version": env.agent_version, "position": env.position,
            "occurred_at": env.occurred_at, "actor": env.actor, "source": env.source,
            "correlation_id": env.correlation_id, "reason": ev.reason_of(env.event)}
