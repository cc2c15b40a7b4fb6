"""Random command sequences against one agent: the status machine and its invariants hold
after every step, and refused commands change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.agent import Agent
from domain.errors import DomainError
from domain.values import (
    AgentStatus,
    License,
    LicenseType,
    Provenance,
    ReinstatementReason,
    TerminationReason,
)
from tests.agents import new_agent
from tests.builders import TODAY

S = AgentStatus
USERS = st.sampled_from([Provenance(n, "c") for n in ("ann", "ben", "cat")])

# (command, statuses that allow it, status it leads to); None keeps the status
MACHINE: dict[str, tuple[set[AgentStatus], AgentStatus | None]] = {
    "approve": ({S.PENDING_APPROVAL}, S.ACTIVE),
    "reject": ({S.PENDING_APPROVAL}, S.REJECTED),
    "suspend": ({S.ACTIVE}, S.SUSPENDED),
    "resume": ({S.SUSPENDED}, S.ACTIVE),
    "terminate": ({S.ACTIVE, S.SUSPENDED}, S.TERMINATED),
    "request": ({S.TERMINATED}, S.REINSTATEMENT_PENDING),
    "reinstate": ({S.REINSTATEMENT_PENDING}, S.ACTIVE),
    "refuse": ({S.REINSTATEMENT_PENDING}, S.TERMINATED),
}


class AgentLifecycle(RuleBasedStateMachine):
    """Drives an `Agent` with random commands and compares it with the documented machine."""

    def __init__(self) -> None:
        super().__init__()
        self.agent: Agent = new_agent()
        self.requester: str | None = None
        self.licensed = False
        self.history: list[Any] = []

    def _run(self, name: str, action: Callable[[], None], allowed_extra: bool = True) -> None:
        allowed, target = MACHINE[name]
        before_status, before_version = self.agent.status, self.agent.version
        try:
            action()
        except DomainError:
            assert self.agent.version == before_version, "a refused command recorded an event"
            assert self.agent.status == before_status
            refused = True
        else:
            refused = False
        expected_ok = before_status in allowed and allowed_extra
        assert refused != expected_ok, f"{name} from {before_status}: refused={refused}"
        if not refused and target is not None:
            assert self.agent.status is target

    @rule(days=st.integers(-30, 400))
    def add_license(self, days: int) -> None:
        number = f"LIC-{self.agent.version:04d}"
        if self.agent.status is S.REJECTED:
            return
        lic = License(number, LicenseType.LIFE, TODAY - timedelta(days=400),
                      TODAY + timedelta(days=days))
        self.agent.add_license(lic, Provenance("ann", "c"))
        self.licensed = self.licensed or days >= 0

    @rule(by=USERS)
    def approve(self, by: Provenance) -> None:
        self._run("approve", lambda: self.agent.approve(TODAY, by), self.licensed)

    @rule(by=USERS)
    def reject(self, by: Provenance) -> None:
        self._run("reject", lambda: self.agent.reject(None, by))

    @rule(by=USERS)
    def suspend(self, by: Provenance) -> None:
        self._run("suspend", lambda: self.agent.suspend(None, by))

    @rule(by=USERS)
    def resume(self, by: Provenance) -> None:
        self._run("resume", lambda: self.agent.resume(None, by))

    @rule(by=USERS, code=st.sampled_from(TerminationReason))
    def terminate(self, by: Provenance, code: TerminationReason) -> None:
        self._run("terminate", lambda: self.agent.terminate(code, None, None, by))

    @rule(by=USERS, code=st.sampled_from(ReinstatementReason))
    def request_reinstatement(self, by: Provenance, code: ReinstatementReason) -> None:
        if self.agent.status is S.TERMINATED:
            self.requester = by.actor
        self._run("request", lambda: self.agent.request_reinstatement(code, None, by))

    @rule(by=USERS)
    def approve_reinstatement(self, by: Provenance) -> None:
        ok = by.actor != self.requester and self.licensed
        self._run("reinstate", lambda: self.agent.approve_reinstatement(TODAY, by), ok)

    @rule(by=USERS)
    def reject_reinstatement(self, by: Provenance) -> None:
        self._run("refuse", lambda: self.agent.reject_reinstatement(None, by))

    @invariant()
    def closed_agents_report_to_nobody(self) -> None:
        if self.agent.status in {S.REJECTED, S.TERMINATED, S.REINSTATEMENT_PENDING}:
            assert self.agent.manager_id is None

    @invariant()
    def a_requester_is_known_only_while_a_reinstatement_is_pending(self) -> None:
        pending = self.agent.status is S.REINSTATEMENT_PENDING
        assert (self.agent.reinstatement_requested_by is not None) == pending

    @invariant()
    def replaying_the_events_gives_the_same_agent(self) -> None:
        events = self.agent.collect_events()
        replayed = None
        self.history.extend(events)
        for e in self.history:
            replayed = e.mutate(replayed)
        assert replayed is not None
        assert vars(replayed) == vars(self.agent)


AgentLifecycle.TestCase.settings = settings(max_examples=150, stateful_step_count=30,
                                            deadline=None)
TestAgentLifecycle = AgentLifecycle.TestCase
