"""Writing agents for read-side tests."""

from __future__ import annotations

from uuid import UUID

from commands import models as cmd
from commands.service import AgentService, Request
from tests.builders import onboard_body

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
