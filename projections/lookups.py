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

LOOKUPS: dict[str, type[StrEnum]] = {
    "statuses": AgentStatus,
    "agent-types": AgentType,
    "license-types": LicenseType,
    "regions": Region,
    "termination-reasons": TerminationReason,
    "reinstatement-reasons": ReinstatementReason,
}
"""Each lookup's values by kind."""

__all__ = ["LOOKUPS", "AgentStatus", "AgentType", "LicenseType", "Region"]
