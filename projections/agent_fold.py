"""Folding a batch into per-agent state, in each agent's own order, skipping what was applied."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from projections.envelope import Envelope
from projections.projection import OutOfOrder

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Step(Generic[S]):
    """One applied event with the agent's state before and after it."""

    before: S | None
    after: S
    env: Envelope


def check_next(version: int | None, env: Envelope) -> None:
    """Raise `OutOfOrder` unless `env` is the next event after `version` (None: no state yet)."""
    expected = 1 if version is None else version + 1
    if env.agent_version != expected:
        raise OutOfOrder(f"agent {env.agent_id}: got version {env.agent_version}, "
                         f"expected {expected}")
    if version is None and env.type != "Onboarded":
        raise OutOfOrder(f"agent {env.agent_id}: {env.type} before Onboarded")


def fold(states: dict[UUID, S], envelopes: Sequence[Envelope],
         evolve: Callable[[S | None, Envelope], S],
         version: Callable[[S], int]) -> list[Step[S]]:
    """Evolve `states` in place by `envelopes`, skipping ones already applied; each step."""
    steps: list[Step[S]] = []
    for env in envelopes:
        state = states.get(env.agent_id)
        if state is not None and env.agent_version <= version(state):
            continue
        after = evolve(state, env)
        states[env.agent_id] = after
        steps.append(Step(state, after, env))
    return steps
