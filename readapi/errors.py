"""The read side's errors: what a query can fail with, each with its code and HTTP status.

Routes, the store and the cursor codec raise these; `readapi.problems` maps them to
problem+json in one place, as the write side maps the application service's errors.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID


class ReadError(Exception):
    """A query that cannot be answered as asked; `code` names it for machines."""

    status = 400
    code = "bad_read"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra
        """More members of the problem body (e.g. the position reached)."""


class AgentNotFound(ReadError):
    """No read model knows the agent."""

    status, code = 404, "agent_not_found"

    def __init__(self, agent_id: UUID) -> None:
        super().__init__(f"no agent {agent_id}")


class NotYetOnboarded(ReadError):
    """The agent exists, but not yet at the moment asked for."""

    status, code = 404, "agent_not_yet_onboarded"


class VersionNotFound(ReadError):
    """The agent has no event of the version asked for."""

    status, code = 404, "version_not_found"


class BadMoment(ReadError):
    """A moment to replay to that cannot be: in the future, without a time zone, or given
    both as a time and as a version."""

    status, code = 422, "bad_moment"


class SnapshotNotFound(ReadError):
    """No snapshot of that name is ready (none was made, or its build has not finished)."""

    status, code = 404, "snapshot_not_found"

    def __init__(self, name: str) -> None:
        super().__init__(f"no snapshot {name!r} is ready; GET /v1/snapshots lists them")


class SnapshotLacks(ReadError):
    """The snapshot does not hold the read model a query needs."""

    status, code = 404, "snapshot_lacks_read_model"

    def __init__(self, name: str, projection: str) -> None:
        super().__init__(f"snapshot {name!r} does not hold {projection}; make one with "
                         f"roster snapshot create --projection {projection}")


class BadCursor(ReadError):
    """A page cursor this query did not hand out."""

    status, code = 422, "bad_cursor"

    def __init__(self) -> None:
        super().__init__("the cursor is not one this query handed out")


class BadValue(ReadError):
    """A value the database cannot hold, such as text with a NUL character."""

    status, code = 422, "bad_value"


class BadRange(ReadError):
    """A time range that is backwards or has no time zone."""

    status, code = 422, "bad_range"


class SubtreeTooLarge(ReadError):
    """A subtree over the size one answer may hold."""

    status, code = 422, "subtree_too_large"


class PositionNotReached(ReadError):
    """The read model did not reach the asked position within the wait bound."""

    status, code = 503, "position_not_reached"

    def __init__(self, reached: int, wanted: int, seconds: float) -> None:
        super().__init__(f"the read model has reached position {reached}, not {wanted}, "
                         f"within {seconds}s; retry later", reached=reached)


class PositionBeyondLog(ReadError):
    """A position to wait for that the log does not hold: no write answered it."""

    status, code = 422, "position_beyond_log"

    def __init__(self, wanted: int, head: int) -> None:
        super().__init__(f"position {wanted} is beyond the log's head ({head}); pass the "
                         f"position a write answered", head=head)


class TooManyWaiting(ReadError):
    """As many reads as allowed already wait for a position; this one is answered at once."""

    status, code = 503, "too_many_waiting"

    def __init__(self, reached: int, wanted: int) -> None:
        super().__init__(f"the read model has reached position {reached}, not {wanted}, and "
                         f"too many reads wait already; retry shortly", reached=reached)


class ReadModelMissing(ReadError):
    """A queried read model has not been created or built yet (no consumer has run)."""

    status, code = 503, "read_model_missing"

    def __init__(self, message: str = "a read model has not been created yet; "
                                      "start the consumers") -> None:
        super().__init__(message)


class EventStoreUnavailable(ReadError):
    """The event store, which audit replays read, does not answer."""

    status, code = 503, "event_store_unavailable"

    def __init__(self) -> None:
        super().__init__("the event store does not answer; retry shortly")


class ReadStoreUnavailable(ReadError):
    """The read models' database does not answer."""

    status, code = 503, "read_store_unavailable"

    def __init__(self) -> None:
        super().__init__("the read models' database does not answer; retry shortly")


class ExportDefinitionNotFound(ReadError):
    """No export definition of that id is visible to the caller."""

    status, code = 404, "export_definition_not_found"

    def __init__(self, definition_id: UUID) -> None:
        super().__init__(f"no export definition {definition_id}")


class ExportNotFound(ReadError):
    """No export run of that id is visible to the caller (its creator's and auditors')."""

    status, code = 404, "export_not_found"

    def __init__(self, run_id: UUID) -> None:
        super().__init__(f"no export {run_id}")


class NotYours(ReadError):
    """Only the owner of a definition may change or delete it."""

    status, code = 403, "not_owner"


class PersonalNeedsAuditor(ReadError):
    """Personal columns in full are for the auditor role alone."""

    status, code = 403, "personal_columns_need_auditor"

    def __init__(self, columns: list[str]) -> None:
        super().__init__(f"only an auditor may export {', '.join(columns)} in full; drop "
                         f"them to export masked data")


class BadExport(ReadError):
    """An export request that cannot run as sent (both or neither of a definition id and a
    definition; personal columns without a reason)."""

    status, code = 422, "bad_export"


class ExportNotReady(ReadError):
    """The run has no file to download (yet, or ever)."""

    status, code = 409, "export_not_ready"


class ExportExpired(ReadError):
    """The run's file was removed after its time."""

    status, code = 410, "export_expired"
