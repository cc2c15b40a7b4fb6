"""Errors of the application service, beside the domain's broken rules."""

from __future__ import annotations

from uuid import UUID

from domain.errors import DomainError, InvalidValue, RuleBroken

__all__ = [
    "AgentNotFound", "AlreadyClaimed", "DeliveryReplayed", "DomainError", "IdempotencyKeyReused",
    "InvalidValue", "ManagerNotFound", "RuleBroken", "StoreUnavailable", "TooMuchContention",
    "VersionMismatch",
]


class AgentNotFound(DomainError):
    """No agent has that id."""

    code = "agent_not_found"

    def __init__(self, agent_id: UUID | str) -> None:
        super().__init__(f"no agent {agent_id}")
        self.agent_id = agent_id


class ManagerNotFound(DomainError):
    """The named manager does not exist."""

    code = "manager_not_found"

    def __init__(self, manager_id: UUID) -> None:
        super().__init__(f"no agent {manager_id} to report to")


class AlreadyClaimed(DomainError):
    """A value that must be unique across agents is held by another agent."""

    code = "already_taken"

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is already held by another agent")
        self.field = field
        self.code = f"{field}_taken"


class VersionMismatch(DomainError):
    """The request expected another version of the agent than the current one."""

    code = "version_mismatch"

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"expected version {expected}, the agent is at version {current}")
        self.current = current


class IdempotencyKeyReused(DomainError):
    """An idempotency key was sent again with a different request."""

    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("this idempotency key was used for a different request")


class DeliveryReplayed(DomainError):
    """A webhook delivery was already processed."""

    code = "delivery_replayed"

    def __init__(self, delivery_id: str) -> None:
        super().__init__(f"delivery {delivery_id} was already processed")


class TooMuchContention(DomainError):
    """Concurrent writes kept conflicting; the client may retry."""

    code = "too_much_contention"

    def __init__(self) -> None:
        super().__init__("the agent is being changed concurrently; retry")


class StoreUnavailable(DomainError):
    """The event store could not be reached; nothing was written."""

    code = "store_unavailable"

    def __init__(self) -> None:
        super().__init__("the event store is unavailable; retry later")
