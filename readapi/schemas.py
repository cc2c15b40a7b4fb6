"""What each read route answers, declared for `/openapi.json`.

The routes serialise their bodies with orjson on the hot path; these models document them, and
the tests validate real answers against them on both stores.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from projections.lookups import AgentStatus, AgentType, LicenseType, Region
from projections.notifications import NoticeType

TEXT = r"^[^\x00]*$"
"""What text a request may carry: anything but the NUL character, which PostgreSQL refuses."""


class Public(BaseModel):
    """A body the read API answers with: exactly these fields, no others."""

    model_config = ConfigDict(extra="forbid")


class LicensePublic(Public):
    """A license, keyed by its number in the map that holds it."""

    license_type: LicenseType
    issued_on: date
    expires_on: date
    revoked_on: date | None


class AgentPublic(Public):
    """What search and the profile both say of an agent; personal values masked."""

    agent_id: UUID
    agent_code: str
    first_name: str
    last_name: str
    agent_type: AgentType
    office_code: str
    region: Region
    email: str
    phone: str
    pan: str = Field(description="Masked, e.g. XXXXX1234X.")
    status: AgentStatus
    manager_id: UUID | None
    date_of_joining: date
    licenses: dict[str, LicensePublic]
    version: int
    position: int
    onboarded_at: datetime
    updated_at: datetime


class AgentSummaryPublic(AgentPublic):
    """One agent as search finds it."""

    next_expiry: date | None = Field(description="The earliest expiry of a license in force.")
    reports: int = Field(description="How many agents report directly to this one.")


class AgentsPage(Public):
    """A page of search results."""

    items: list[AgentSummaryPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on "
                                                "the last.")


class StatusChange(Public):
    """One entry of an agent's status history."""

    status: AgentStatus
    at: datetime
    actor: str
    event: str
    reason: str | None
    reason_code: str | None


class Manager(Public):
    """A manager in a chain."""

    agent_id: UUID
    agent_code: str
    name: str


class ProfilePublic(AgentPublic):
    """Everything about one agent in one read."""

    aadhaar: str = Field(description="Masked, e.g. XXXXXXXX2346.")
    bank_account: str | None
    status_history: list[StatusChange]
    manager_chain: list[Manager] = Field(description="The managers above, root first.")
    direct_reports: list[UUID]


class AgentState(AgentPublic):
    """An agent as the profile read model holds it, without the manager chain (a replay
    folds one agent's events alone)."""

    aadhaar: str = Field(description="Masked, e.g. XXXXXXXX2346.")
    bank_account: str | None
    status_history: list[StatusChange]
    direct_reports: list[UUID]


class ReplayedEvent(Public):
    """An event as a replay names it."""

    type: str
    version: int
    position: int
    occurred_at: datetime
    actor: str
    source: str
    correlation_id: str
    reason: str | None


class AgentAsOf(Public):
    """An agent's state at a past moment, rebuilt from the event store."""

    agent_id: UUID
    at: datetime | None = Field(description="The moment asked for (null when asked by "
                                            "version).")
    version: int = Field(description="The agent version the state reflects.")
    position: int = Field(description="The log position of the event that produced it.")
    event: ReplayedEvent = Field(description="The event that produced the state.")
    state: AgentState


class AgentChanges(Public):
    """What changed in an agent between two moments, and the events that changed it."""

    agent_id: UUID
    since: datetime = Field(alias="from")
    until: datetime = Field(alias="to")
    version_before: int | None = Field(description="The version at `from` (null: the agent "
                                                   "did not exist yet).")
    version_after: int | None = Field(description="The version at `to`.")
    changes: list[FieldChange]
    events: list[ReplayedEvent] = Field(description="After `from`, up to and including "
                                                    "`to`, oldest first.")


class TimelineEntry(Public):
    """One event of an agent, with a line a person can read."""

    agent_version: int
    position: int
    occurred_at: datetime
    type: str
    actor: str
    source: str
    summary: str
    details: dict[str, Any] = Field(description="The event's fields, personal values masked.")


class TimelinePage(Public):
    """A page of an agent's timeline, newest first."""

    items: list[TimelineEntry]
    next_cursor: str | None


class FieldChange(Public):
    """A field an event changed, with its value before and after."""

    field: str
    before: Any
    after: Any


class AuditEntry(Public):
    """One audited event."""

    position: int
    agent_version: int
    occurred_at: datetime
    type: str
    actor: str
    source: str
    correlation_id: str
    reason: str | None
    changes: list[FieldChange]


class AuditPage(Public):
    """A page of an agent's audit log, oldest first."""

    items: list[AuditEntry]
    next_cursor: str | None


class Notice(Public):
    """A notice raised by an event."""

    position: int
    agent_id: UUID
    type: NoticeType
    event_type: str
    occurred_at: datetime
    actor: str
    message: str


class NotificationsPage(Public):
    """A page of notices, newest first."""

    items: list[Notice]
    next_cursor: str | None


class HierarchyNode(Public):
    """An agent as the hierarchy shows it."""

    agent_id: UUID
    agent_code: str
    name: str
    status: AgentStatus
    depth: int = Field(description="Levels below the root of its tree.")


class Hierarchy(Public):
    """The managers above an agent, its direct reports, and how many agents are below it."""

    agent_id: UUID
    chain: list[Manager]
    direct_reports: list[HierarchyNode]
    subtree_size: int


class Subtree(HierarchyNode):
    """An agent and, nested, the agents below it."""

    reports: list[Subtree]


class MonthCount(Public):
    """Onboardings in one month."""

    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    count: int


class Dashboard(Public):
    """Counts over the whole population."""

    as_of: date
    agents: int
    by_status: dict[str, int]
    by_type: dict[str, int]
    by_region: dict[str, int]
    pending_approvals: int
    pending_reinstatements: int
    licenses_expiring_30_days: int
    onboardings_per_month: list[MonthCount]


class SnapshotPublic(Public):
    """A snapshot: read models as they stood at a past moment."""

    name: str
    as_of: datetime
    position: int = Field(description="The last log position it holds.")
    created_by: str
    created_at: datetime
    projections: list[str]


class Snapshots(Public):
    """Every ready snapshot, by name."""

    items: list[SnapshotPublic]


class Lookup(Public):
    """The values one lookup list holds."""

    kind: str
    values: list[str]


class Ready(Public):
    """Whether the read models and Redis answer."""

    status: str = Field(description="ok, or degraded when Redis is down.")
    read_models: str
    redis: str = Field(description="ok, down, or absent (no Redis configured).")


class GenerationPublic(Public):
    """One generation of a projection's tables."""

    generation: int
    version: int
    started_at: datetime
    switched_at: datetime | None


class RebuildPublic(GenerationPublic):
    """A generation under construction, and how far it has got."""

    position: int = Field(description="The log position it has applied up to.")
    target: int = Field(description="The log's head when it last reported.")
    progress: float = Field(description="position / target, from 0 to 1.")
    events_per_second: float


class VerificationPublic(Public):
    """The last verification of a projection (`roster verify`)."""

    checked_at: datetime
    generation: int = Field(description="The live generation it compared.")
    position: int = Field(description="The log position both sides reflected.")
    differences: int = Field(description="Rows missing, extra or different (0: it matched).")


class ProjectionOps(Public):
    """One projection as an operator sees it."""

    projection: str
    live: GenerationPublic | None
    applied_position: int = Field(description="Every event up to here is applied.")
    lag_positions: int = Field(description="The log's head minus the applied position.")
    lag_seconds: float = Field(description="While behind, how long since it last moved.")
    dead_letters: int = Field(description="Events parked for this projection.")
    kept: list[int] = Field(description="Replaced generations kept for comparison.")
    rebuild: RebuildPublic | None
    verification: VerificationPublic | None


class ProjectionsOps(Public):
    """Every projection's state, and the log's head they are measured against."""

    log_head: int
    projections: list[ProjectionOps]


class DeadLetterOps(Public):
    """A parked event: which projection refused it, and why."""

    projection: str
    position: int
    agent_id: UUID
    event_type: str
    state: str = Field(description="failed (raised on every attempt) or waiting (behind an "
                                   "earlier parked event of the same agent).")
    error: str
    attempts: int
    parked_at: datetime


class DeadLettersOps(Public):
    """The newest parked events of every projection, newest first."""

    items: list[DeadLetterOps]
