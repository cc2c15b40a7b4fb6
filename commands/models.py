"""Command models: what each command carries, validated before any aggregate is loaded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from domain import values
from domain.errors import InvalidValue
from domain.values import AgentType, LicenseType, ReinstatementReason, TerminationReason
from domain.values import Region as Region


def _checked(check: Callable[[str], str]) -> AfterValidator:
    """A pydantic validator running a domain check, its message naming what is wrong."""

    def validate(value: str) -> str:
        try:
            return check(value)
        except InvalidValue as error:
            raise ValueError(error.message) from None

    return AfterValidator(validate)


Name = Annotated[str, Field(min_length=1, max_length=100)]
Reason = Annotated[str | None, Field(default=None, max_length=500)]
StatedReason = Annotated[str, Field(
    min_length=10, max_length=500, pattern=r"^\s*\S+(\s+\S+){2,}",
    description="Why, in at least three words (it is recorded with the act).")]
AgentCode = Annotated[str, _checked(values.check_agent_code)]
OfficeCode = Annotated[str, _checked(values.check_office_code)]
Phone = Annotated[str, _checked(values.check_phone)]
Pan = Annotated[str, _checked(values.check_pan)]
Aadhaar = Annotated[str, _checked(values.check_aadhaar)]
BankAccount = Annotated[str, _checked(values.check_bank_account)]
LicenseNumber = Annotated[str, _checked(values.check_license_number)]


class Command(BaseModel):
    """Base of every command: unknown fields are refused, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AddLicense(Command):
    """Add a license to an agent."""

    number: LicenseNumber
    license_type: LicenseType
    issued_on: date
    expires_on: date

    @model_validator(mode="after")
    def _expires_after_issue(self) -> AddLicense:
        if self.expires_on <= self.issued_on:
            raise ValueError("expires_on must be after issued_on")
        return self


class OnboardAgent(Command):
    """Onboard a new agent, optionally with licenses and a manager."""

    agent_code: AgentCode
    first_name: Name
    last_name: Name
    agent_type: AgentType
    office_code: OfficeCode
    region: Region
    email: EmailStr
    phone: Phone
    pan: Pan
    aadhaar: Aadhaar
    bank_account: BankAccount | None = None
    date_of_joining: date
    manager_id: UUID | None = None
    licenses: list[AddLicense] = Field(default_factory=list, max_length=20)


class UpdateAgent(Command):
    """Change profile and contact fields; only the fields present are changed."""

    first_name: Name | None = None
    last_name: Name | None = None
    agent_type: AgentType | None = None
    office_code: OfficeCode | None = None
    region: Region | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    bank_account: BankAccount | None = None

    def changes(self) -> dict[str, Any]:
        """The fields this update sets."""
        return self.model_dump(exclude_unset=True, exclude_none=True)

    @model_validator(mode="after")
    def _names_a_field(self) -> UpdateAgent:
        if not self.changes():
            raise ValueError("name at least one field to change")
        return self


class RenewLicense(Command):
    """Move a license's expiry."""

    expires_on: date


class Decide(Command):
    """A decision (approve, reject, suspend, resume, revoke) with an optional reason."""

    reason: Reason = None


class TerminateAgent(Command):
    """End an agency; `reassign_reports_to` names who takes over any direct reports."""

    reason_code: TerminationReason
    reason: Reason = None
    reassign_reports_to: UUID | None = None


class RequestReinstatement(Command):
    """Ask for a terminated agent to be reinstated."""

    reason_code: ReinstatementReason
    reason: Reason = None


class ChangeManager(Command):
    """Move an agent (and its subtree) under another manager, or to the top (`null`)."""

    manager_id: UUID | None
    reason: Reason = None


class ErasePersonalData(Command):
    """Erase a terminated or rejected agent's personal data, saying why."""

    reason: StatedReason
