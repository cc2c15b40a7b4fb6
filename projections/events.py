"""The `Agent` events as the read side receives them: one frozen class per event, parsed once
from an envelope's JSON payload (schema 1), personal values already masked.

Every projection, the timeline's lines and the notifications read these classes instead of
indexing dictionaries, so a field renamed on the write side fails here, at parse time, with the
name of the field (`tests/unit/test_events.py` checks that each `Agent` event has its class
here with the same fields).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from enum import Enum
from types import NoneType, UnionType
from typing import Any, ClassVar, Union, get_args, get_origin, get_type_hints
from uuid import UUID

from domain.values import (
    AgentStatus,
    AgentType,
    LicenseType,
    Region,
    ReinstatementReason,
    TerminationReason,
)


class BadPayload(ValueError):
    """An envelope's payload does not fit the class of its event type."""


@dataclass(frozen=True, slots=True)
class LicenseTerms:
    """A license as an event carries it."""

    number: str
    license_type: LicenseType
    issued_on: date
    expires_on: date
    revoked_on: date | None

    def terms(self) -> dict[str, str | None]:
        """Type and dates as JSON values, without the number (documents key licenses by it)."""
        return {"license_type": self.license_type.value, "issued_on": self.issued_on.isoformat(),
                "expires_on": self.expires_on.isoformat(),
                "revoked_on": self.revoked_on.isoformat() if self.revoked_on else None}


@dataclass(frozen=True, slots=True)
class AgentEvent:
    """What every agent event says about the status and the manager link."""

    status_after: ClassVar[AgentStatus | None] = None
    """The status the agent has after this event, when the event changes it."""
    clears_manager: ClassVar[bool] = False
    """Whether the agent reports to nobody after this event."""


@dataclass(frozen=True, slots=True)
class Onboarded(AgentEvent):
    """The agent was onboarded and waits for approval."""

    status_after = AgentStatus.PENDING_APPROVAL
    agent_code: str
    first_name: str
    last_name: str
    agent_type: AgentType
    office_code: str
    region: Region
    email: str
    phone: str
    pan: str
    aadhaar: str
    bank_account: str | None
    date_of_joining: date
    manager_id: UUID | None

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class ProfileUpdated(AgentEvent):
    """Profile or contact fields changed; `changes` holds their new values."""

    changes: dict[str, str | None]


@dataclass(frozen=True, slots=True)
class LicenseAdded(AgentEvent):
    """A license was added."""

    license: LicenseTerms


@dataclass(frozen=True, slots=True)
class LicenseRenewed(AgentEvent):
    """A license's expiry moved."""

    number: str
    expires_on: date


@dataclass(frozen=True, slots=True)
class LicenseRevoked(AgentEvent):
    """A license was revoked."""

    number: str
    revoked_on: date
    reason: str | None


@dataclass(frozen=True, slots=True)
class Approved(AgentEvent):
    """The agent was approved."""

    status_after = AgentStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Rejected(AgentEvent):
    """The onboarding was rejected."""

    status_after = AgentStatus.REJECTED
    clears_manager = True
    reason: str | None


@dataclass(frozen=True, slots=True)
class Suspended(AgentEvent):
    """The agent was suspended."""

    status_after = AgentStatus.SUSPENDED
    reason: str | None


@dataclass(frozen=True, slots=True)
class Resumed(AgentEvent):
    """A suspension ended."""

    status_after = AgentStatus.ACTIVE
    reason: str | None


@dataclass(frozen=True, slots=True)
class Terminated(AgentEvent):
    """The agency ended."""

    status_after = AgentStatus.TERMINATED
    clears_manager = True
    reason_code: TerminationReason
    reason: str | None
    reports_reassigned_to: UUID | None


@dataclass(frozen=True, slots=True)
class ReinstatementRequested(AgentEvent):
    """A reinstatement was asked for; another user decides."""

    status_after = AgentStatus.REINSTATEMENT_PENDING
    reason_code: ReinstatementReason
    reason: str | None


@dataclass(frozen=True, slots=True)
class ReinstatementApproved(AgentEvent):
    """The reinstatement was approved."""

    status_after = AgentStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class ReinstatementRejected(AgentEvent):
    """The reinstatement was refused."""

    status_after = AgentStatus.TERMINATED
    reason: str | None


@dataclass(frozen=True, slots=True)
class ManagerChanged(AgentEvent):
    """The agent reports to another manager, or to none."""

    manager_id: UUID | None
    previous_manager_id: UUID | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class ReportAssigned(AgentEvent):
    """An agent now reports directly to this one."""

    report_id: UUID


@dataclass(frozen=True, slots=True)
class ReportReleased(AgentEvent):
    """An agent no longer reports directly to this one."""

    report_id: UUID


@dataclass(frozen=True, slots=True)
class PersonalDataErased(AgentEvent):
    """The agent's data key was destroyed: its personal fields read `erased` from now on, and
    the read models drop what they kept of them."""

    reason: str


@dataclass(frozen=True, slots=True)
class PersonalDataDisclosed(AgentEvent):
    """An auditor was shown the agent's personal fields in full."""

    fields: list[str]
    reason: str


EVENT_TYPES: dict[str, type[AgentEvent]] = {
    cls.__name__: cls for cls in (
        Onboarded, ProfileUpdated, LicenseAdded, LicenseRenewed, LicenseRevoked, Approved,
        Rejected, Suspended, Resumed, Terminated, ReinstatementRequested, ReinstatementApproved,
        ReinstatementRejected, ManagerChanged, ReportAssigned, ReportReleased,
        PersonalDataErased, PersonalDataDisclosed)
}
"""Each event class under the type name an envelope carries."""

LICENSING = (LicenseAdded, LicenseRenewed, LicenseRevoked)
"""The events that change an agent's licenses."""


def reason_of(event: AgentEvent) -> str | None:
    """The free-text reason an event gives, if its kind carries one."""
    reason: str | None = getattr(event, "reason", None)
    return reason


def reason_code_of(event: AgentEvent) -> str | None:
    """The coded reason an event gives, if its kind carries one."""
    code: Enum | None = getattr(event, "reason_code", None)
    return None if code is None else str(code.value)


Convert = Callable[[Any], Any]


def _converter(hint: Any) -> Convert | None:
    """How a JSON value becomes a value of type `hint` (None: it is already one)."""
    if get_origin(hint) in (Union, UnionType):
        (inner,) = [arg for arg in get_args(hint) if arg is not NoneType]
        return _converter(inner)
    if hint is date:
        return date.fromisoformat
    if hint is UUID:
        return UUID
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if hint is LicenseTerms:
        return _parser(LicenseTerms)
    return None


def _parser(cls: type[Any]) -> Callable[[Mapping[str, Any]], Any]:
    hints = get_type_hints(cls)
    plan = [(f.name, _converter(hints[f.name])) for f in fields(cls)]

    def parse(payload: Mapping[str, Any]) -> Any:
        values = {}
        for name, convert in plan:
            value = payload[name]
            values[name] = value if convert is None or value is None else convert(value)
        return cls(**values)

    return parse


_PARSERS = {name: _parser(cls) for name, cls in EVENT_TYPES.items()}


def parse(type_name: str, payload: Mapping[str, Any]) -> AgentEvent:
    """The event of `type_name` that `payload` describes; `BadPayload` when it does not fit."""
    try:
        parser = _PARSERS[type_name]
    except KeyError:
        raise BadPayload(f"no agent event type {type_name!r}") from None
    try:
        event: AgentEvent = parser(payload)
    except KeyError as error:
        raise BadPayload(f"{type_name} without field {error}") from None
    except (TypeError, ValueError, AttributeError) as error:
        raise BadPayload(f"{type_name}: {error}") from None
    return event
