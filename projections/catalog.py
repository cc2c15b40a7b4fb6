"""Every read model by name: what `roster consume --projection NAME` accepts."""

from __future__ import annotations

from collections.abc import Callable

from projections.agent_summary import AgentSummaryProjection
from projections.projection import Projection

PROJECTIONS: dict[str, Callable[[], Projection]] = {
    AgentSummaryProjection.name: AgentSummaryProjection,
}
"""Each projection's factory under its name."""
