"""The value lists the read API offers under `/v1/lookups/{kind}` and validates filters with."""

from __future__ import annotations

from enum import StrEnum

from domain.values import (
    AgentStatus,
    AgentType,
    LicenseType,
    Region,
    ReinstatementReason,
    TerminationReason,
)


class LookupKind(StrEnum):
    """The lookup lists there are."""

    STATUSES = "statuses"
    AGENT_TYPES = "agent-types"
    LICENSE_TYPES = "license-types"
    REGIONS = "regions"
    TERMINATION_REASONS = "termination-reasons"
    REINSTATEMENT_REASONS = "reinstatement-reasons"


LOOKUPS: dict[LookupKind, type[StrEnum]] = {
    LookupKind.STATUSES: AgentStatus,
    LookupKind.AGENT_TYPES: AgentType,
    LookupKind.LICENSE_TYPES: LicenseType,
    LookupKind.REGIONS: Region,
    LookupKind.TERMINATION_REASONS: TerminationReason,
    LookupKind.REINSTATEMENT_REASONS: ReinstatementReason,
}
"""Each lookup's values by kind."""

__all__ = ["LOOKUPS", "AgentStatus", "AgentType", "LicenseType", "LookupKind", "Region"]
