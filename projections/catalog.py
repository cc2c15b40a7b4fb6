"""Every read model by name: what `roster consume --projection NAME` accepts."""

from __future__ import annotations

from collections.abc import Callable

from projections import cache_marks
from projections.agent_summary import AgentSummaryProjection
from projections.audit import AuditLogProjection
from projections.dashboard import DashboardProjection
from projections.hierarchy import HierarchyProjection
from projections.notifications import NotificationsProjection
from projections.profile import AgentProfileProjection
from projections.projection import Projection
from projections.timeline import TimelineProjection

PROJECTIONS: dict[str, Callable[[], Projection]] = {
    p.name: p for p in (AgentSummaryProjection, AgentProfileProjection, TimelineProjection,
                        HierarchyProjection, AuditLogProjection, DashboardProjection,
                        NotificationsProjection)
}
"""Each projection's factory under its name."""

CACHED = {AgentProfileProjection.name: cache_marks.PROFILE,
          HierarchyProjection.name: cache_marks.CHAIN,
          DashboardProjection.name: cache_marks.DASHBOARD}
"""Projections that mark documents for the Redis copy, and the kind of document each keeps."""
