"""Writing agents for read-side tests."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from hypothesis import strategies as st

from commands import models as cmd
from commands.errors import DomainError
from commands.service import AgentService, Request
from tests.builders import license_body, onboard_body

CLERK = Request.by("clerk-1", "corr-read")
APPROVER = Request.by("approver-1", "corr-read")


def onboard(write: AgentService, manager: UUID | None = None, **overrides: object) -> UUID:
    """An approved agent (under `manager`)."""
    body = onboard_body(**overrides)
    if manager is not None:
        body["manager_id"] = str(manager)
    agent_id = write.onboard(cmd.OnboardAgent(**body), CLERK).agent_id
    write.approve(agent_id, APPROVER)
    return agent_id


def move(write: AgentService, agent_id: UUID, manager: UUID | None) -> int:
    """Move `agent_id` (and its subtree) under `manager`; the write's position."""
    return write.change_manager(agent_id, cmd.ChangeManager(manager_id=manager), CLERK).position


AGENTS = 6
Op = tuple[str, int, int]
"""One random command: its kind and two agents it may name (by index)."""


def command_lists(min_size: int = 5, max_size: int = 40) -> st.SearchStrategy[list[Op]]:
    """Random command sequences over a handful of agents."""
    return st.lists(st.tuples(st.sampled_from(["onboard", "approve", "suspend", "resume",
                                               "update", "license", "move", "top",
                                               "terminate"]),
                              st.integers(0, AGENTS - 1), st.integers(0, AGENTS - 1)),
                    min_size=min_size, max_size=max_size)


commands = command_lists()


def run_commands(write: AgentService, steps: list[Op],
                 after_each: Callable[[list[UUID]], None] = lambda _: None) -> list[UUID]:
    """Run `steps` (skipping the ones the domain refuses); the agents onboarded. `after_each`
    sees the agents after every accepted command."""
    agents: list[UUID] = []
    for op, a, b in steps:
        try:
            if op == "onboard" or not agents:
                manager = agents[b % len(agents)] if agents and op == "move" else None
                body = onboard_body(manager_id=str(manager) if manager else None)
                agents.append(write.onboard(cmd.OnboardAgent(**body), CLERK).agent_id)
            else:
                _one(write, op, agents[a % len(agents)], agents[b % len(agents)], f"{a}{b}")
        except DomainError:
            continue
        after_each(agents)
    return agents


def _one(write: AgentService, op: str, x: UUID, y: UUID, tag: str) -> None:
    if op == "approve":
        write.approve(x, APPROVER)
    elif op == "suspend":
        write.suspend(x, cmd.Decide(reason="r"), APPROVER)
    elif op == "resume":
        write.resume(x, cmd.Decide(), APPROVER)
    elif op == "update":
        write.update(x, cmd.UpdateAgent(office_code=f"OF{tag}"), CLERK)
    elif op == "license":
        write.add_license(x, cmd.AddLicense(**license_body()), CLERK)
    elif op in {"move", "top"}:
        write.change_manager(x, cmd.ChangeManager(manager_id=y if op == "move" else None),
                             CLERK)
    elif op == "terminate":
        write.terminate(x, cmd.TerminateAgent(reason_code="RESIGNATION",
                                              reassign_reports_to=None), APPROVER)
