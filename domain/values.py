"""Value objects of the agent domain: enumerations, identity numbers, licenses, provenance."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain import verhoeff
from domain.errors import InvalidValue

_PAN = re.compile(r"[A-Z]{5}[0-9]{4}[A-Z]")
_AADHAAR = re.compile(r"[2-9][0-9]{11}")
_AGENT_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{2,19}")
_OFFICE_CODE = re.compile(r"[A-Z0-9]{2,10}")
_PHONE = re.compile(r"\+?[0-9]{10,15}")
_BANK_ACCOUNT = re.compile(r"[0-9]{9,18}")
_LICENSE_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9/-]{3,29}")


class AgentStatus(StrEnum):
    """Where an agent is in its lifecycle."""

    PENDING_APPROVAL = "PENDING_APPROVAL"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    REJECTED = "REJECTED"
    TERMINATED = "TERMINATED"
    REINSTATEMENT_PENDING = "REINSTATEMENT_PENDING"


class AgentType(StrEnum):
    """The kind of agency contract."""

    INDIVIDUAL = "INDIVIDUAL"
    CORPORATE = "CORPORATE"
    BROKER = "BROKER"
    BANCASSURANCE = "BANCASSURANCE"
    POSP = "POSP"


class Region(StrEnum):
    """Sales regions."""

    NORTH = "NORTH"
    SOUTH = "SOUTH"
    EAST = "EAST"
    WEST = "WEST"
    CENTRAL = "CENTRAL"
    NORTHEAST = "NORTHEAST"


class LicenseType(StrEnum):
    """Lines of business a license covers."""

    LIFE = "LIFE"
    GENERAL = "GENERAL"
    HEALTH = "HEALTH"
    COMPOSITE = "COMPOSITE"


class TerminationReason(StrEnum):
    """Why an agency contract ended."""

    RESIGNATION = "RESIGNATION"
    MISCONDUCT = "MISCONDUCT"
    NON_PERFORMANCE = "NON_PERFORMANCE"
    LICENSE_LAPSED = "LICENSE_LAPSED"
    DECEASED = "DECEASED"
    OTHER = "OTHER"


class ReinstatementReason(StrEnum):
    """Why a terminated agent is brought back."""

    APPEAL_UPHELD = "APPEAL_UPHELD"
    ERRONEOUS_TERMINATION = "ERRONEOUS_TERMINATION"
    RELICENSED = "RELICENSED"
    OTHER = "OTHER"


class Source(StrEnum):
    """Where a command came from."""

    API = "api"
    HRMS = "hrms"
    JOB = "job"


@dataclass(frozen=True)
class Provenance:
    """Who did it, as part of which request, and through which channel: carried by every event."""

    actor: str
    correlation_id: str
    source: Source = Source.API
    trace: str = ""
    """The W3C `traceparent` of the command that made the event; empty when untraced."""


@dataclass(frozen=True)
class License:
    """A license held by an agent; `revoked_on` is set once it is revoked."""

    number: str
    license_type: LicenseType
    issued_on: date
    expires_on: date
    revoked_on: date | None = None

    def is_valid_on(self, day: date) -> bool:
        """Whether the license is in force on `day`."""
        return self.revoked_on is None and self.issued_on <= day <= self.expires_on


PERSONAL_FIELDS = frozenset({"pan", "aadhaar", "bank_account", "email", "phone"})
"""Personal data: sealed in the event store under the agent's own data key (and erased with
it), masked everywhere else."""

ERASED = "erased"
"""What a sealed field reads as once the agent's data key is destroyed."""


def _check(pattern: re.Pattern[str], field: str, value: str, form: str) -> str:
    if not pattern.fullmatch(value):
        raise InvalidValue(field, f"{field} must be {form}")
    return value


def check_pan(value: str) -> str:
    """A PAN: five letters, four digits, one letter (`AAAAA9999A`)."""
    return _check(_PAN, "pan", value, "five capital letters, four digits and a capital letter")


def check_aadhaar(value: str) -> str:
    """An Aadhaar number: 12 digits, not starting with 0 or 1, with a Verhoeff check digit."""
    _check(_AADHAAR, "aadhaar", value, "12 digits, the first from 2 to 9")
    if not verhoeff.is_valid(value):
        raise InvalidValue("aadhaar", "aadhaar has a wrong check digit")
    return value


def check_agent_code(value: str) -> str:
    """An agent code: 3 to 20 capital letters, digits and hyphens."""
    return _check(_AGENT_CODE, "agent_code", value, "3 to 20 capital letters, digits or hyphens")


def check_office_code(value: str) -> str:
    """An office code: 2 to 10 capital letters and digits."""
    return _check(_OFFICE_CODE, "office_code", value, "2 to 10 capital letters or digits")


def check_phone(value: str) -> str:
    """A phone number: 10 to 15 digits, an optional leading plus."""
    return _check(_PHONE, "phone", value, "10 to 15 digits with an optional leading +")


def check_bank_account(value: str) -> str:
    """A bank account number: 9 to 18 digits."""
    return _check(_BANK_ACCOUNT, "bank_account", value, "9 to 18 digits")


def check_license_number(value: str) -> str:
    """A license number: 4 to 30 capital letters, digits, slashes and hyphens."""
    return _check(
        _LICENSE_NUMBER, "number", value, "4 to 30 capital letters, digits, slashes or hyphens"
    )


def check_license_dates(issued_on: date, expires_on: date) -> None:
    """A license expires after it is issued."""
    if expires_on <= issued_on:
        raise InvalidValue("expires_on", "expires_on must be after issued_on")


def mask(field: str, value: str) -> str:
    """The masked form of a personal value, keeping only what identifies it to a person (an
    erased value stays the marker)."""
    if value == ERASED:
        return ERASED
    if field == "pan":
        return "XXXXX" + value[5:9] + "X"
    if field == "email":
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    return "X" * (len(value) - 4) + value[-4:]
