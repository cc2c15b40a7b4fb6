"""Commands for pipeline tests: a steady mix over many agents, and the expected read model."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from uuid import UUID

import psycopg

from commands import models
from commands.errors import DomainError
from commands.service import AgentService, Request
from consumers.log import EventLog
from domain.values import TerminationReason
from projections.agent_summary import COLUMNS, AgentSummary, AgentSummaryProjection, fold
from projections.db import Cursor
from projections.envelope import Envelope
from roster.settings import Settings
from tests.builders import license_body, onboard_body

BUG = "bug: cannot summarise this agent"
"""What `Broken` raises."""


class Broken(AgentSummaryProjection):
    """The summary with a bug: it raises on every event of one agent."""

    def __init__(self, victim: UUID) -> None:
        self.victim = victim

    def apply(self, cur: Cursor, envelopes: Sequence[Envelope]) -> None:
        if any(e.agent_id == self.victim for e in envelopes):
            raise RuntimeError(BUG)
        super().apply(cur, envelopes)


REQUEST = Request.by("clerk-1", "corr-pipeline")
APPROVER = Request.by("approver-1", "corr-pipeline")


class Workload:
    """Onboards agents and then changes random ones: approvals, suspensions, renewals, edits
    (of contact details too), and now and then a termination followed by an erasure."""

    def __init__(self, service: AgentService, seed: int = 7) -> None:
        self.service = service
        self.agents: list[UUID] = []
        self.commands = 0
        self._random = random.Random(seed)

    def onboard(self) -> UUID:
        """One new agent with a license."""
        result = self.service.onboard(models.OnboardAgent(**onboard_body()), REQUEST)
        self.agents.append(result.agent_id)
        self.commands += 1
        return result.agent_id

    def step(self) -> None:
        """One command: a new agent now and then, else a change to a random agent."""
        if len(self.agents) < 5 or self._random.random() < 0.3:
            self.onboard()
            return
        agent_id = self._random.choice(self.agents)
        status = self.service.agent(agent_id).status.value
        try:
            if status == "PENDING_APPROVAL":
                self.service.approve(agent_id, APPROVER)
            elif status == "ACTIVE" and self._random.random() < 0.05:
                self.service.terminate(agent_id, models.TerminateAgent(
                    reason_code=TerminationReason.RESIGNATION), APPROVER)
            elif status == "TERMINATED":
                self.service.erase(agent_id, models.ErasePersonalData(
                    reason="the agent asked for erasure"), APPROVER)
            elif status == "ACTIVE" and self._random.random() < 0.3:
                self.service.suspend(agent_id, models.Decide(reason="review"), APPROVER)
            elif status == "SUSPENDED":
                self.service.resume(agent_id, models.Decide(reason="cleared"), APPROVER)
            elif self._random.random() < 0.5:
                number = self._random.randint(10, 99)
                self.service.update(agent_id, models.UpdateAgent(
                    office_code=f"OFF{number}", phone=f"98765432{number}"), REQUEST)
            else:
                self.service.add_license(agent_id, models.AddLicense(**license_body()), REQUEST)
        except DomainError:
            return
        self.commands += 1

    def run(self, count: int) -> None:
        """`count` steps as fast as they go."""
        for _ in range(count):
            self.step()

    def run_until(self, stop: threading.Event, per_second: float) -> None:
        """Steps at about `per_second` until `stop` is set."""
        while not stop.is_set():
            started = time.monotonic()
            self.step()
            stop.wait(max(0.0, 1 / per_second - (time.monotonic() - started)))


def expected_summary(service: AgentService) -> dict[UUID, AgentSummary]:
    """The agent summary rebuilt in memory from the whole event store."""
    log, after = EventLog(service), 0
    rows: dict[UUID, AgentSummary] = {}
    while True:
        page = log.read(after, 1000)
        if page.last_position == after:
            return rows
        fold(rows, page.envelopes)
        after = page.last_position


def summary_rows(settings: Settings) -> dict[UUID, AgentSummary]:
    """The agent summary table as it stands."""
    with psycopg.connect(settings.read_models_conninfo()) as conn:
        try:
            found = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM agent_summary").fetchall()
        except psycopg.errors.UndefinedTable:
            return {}
    return {row[0]: AgentSummary(*row) for row in found}


def wait_for(condition: Callable[[], object], timeout: float = 60.0, every: float = 0.2) -> bool:
    """Poll the callable `condition` until it is true or `timeout` passes; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every)

