"""What happened: an agent's timeline, its audit log, and notifications."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response

from projections import audit, export_runs, notifications, timeline
from projections.db import Cursor as DbCursor
from projections.window import Window
from readapi import cursors
from readapi.deps import Auditor, Cursor, Limit, MinPosition, Store, Viewer
from readapi.errors import BadRange
from readapi.responses import page
from readapi.schemas import TEXT, AuditPage, NotificationsPage, TimelinePage
from readapi.store import ReadStore
from webkit.openapi import problems

router = APIRouter(prefix="/v1", tags=["activity"])
T = TypeVar("T")

From = Annotated[datetime | None, Query(alias="from", description="Inclusive, ISO 8601.")]
To = Annotated[datetime | None, Query(alias="to", description="Exclusive, ISO 8601.")]
NotificationType = Annotated[notifications.NoticeType | None, Query(alias="type")]


def _window(since: datetime | None, until: datetime | None, cursor: str | None,
            limit: int) -> Window:
    """The rows a listing asks for, one over `limit` to know whether a next page follows;
    `BadRange` for a backwards or zone-less range."""
    if since is not None and until is not None and since >= until:
        raise BadRange("`from` must be before `to`")
    for bound in (since, until):
        if bound is not None and bound.tzinfo is None:
            raise BadRange("give `from` and `to` with a time zone offset")
    return Window(since, until, cursors.decode_at(cursor), limit + 1)


async def _listing(store: ReadStore, projection: str, min_position: int | None, limit: int,
                   fetch: Callable[[DbCursor], Sequence[T]],
                   key: Callable[[T], tuple[datetime, int]]) -> Response:
    """A page of `fetch`'s rows once `projection` has reached `min_position`; each row's
    `key` (time and tiebreak) makes the next page's cursor."""
    position = await store.wait((projection,), min_position)
    rows = await store.run(fetch)
    return page(rows, limit, lambda r: cursors.encode_at(*key(r)), position)


@router.get("/agents/{agent_id}/timeline", response_model=TimelinePage,
            responses=problems(401, 422, 503))
async def get_timeline(
    agent_id: UUID, store: Store, _: Viewer, since: From = None, until: To = None,
    types: Annotated[list[str] | None, Query(description="Event types (repeatable).")] = None,
    cursor: Cursor = None, limit: Limit = 50, min_position: MinPosition = None,
) -> Response:
    """The agent's events, newest first, each with a one-line summary."""
    window = _window(since, until, cursor, limit)
    return await _listing(store, timeline.TimelineProjection.name, min_position, limit,
                          lambda cur: timeline.entries(cur, agent_id, types, window),
                          lambda r: (r.occurred_at, r.agent_version))


@router.get("/agents/{agent_id}/audit", response_model=AuditPage,
            responses=problems(401, 403, 422, 503))
async def get_audit(
    agent_id: UUID, store: Store, _: Auditor, since: From = None, until: To = None,
    actor: Annotated[str | None, Query(max_length=200, pattern=TEXT)] = None,
    cursor: Cursor = None, limit: Limit = 50, min_position: MinPosition = None,
) -> Response:
    """Every event of the agent, oldest first, with who did it and each field's before/after;
    and each export that disclosed its personal data in full (type `PersonalDataExported`,
    the run's id as correlation id, the reason given)."""
    window = _window(since, until, cursor, limit)

    def entries(cur: DbCursor) -> list[audit.AuditEntry]:
        both = [*audit.entries(cur, agent_id, actor, window),
                *export_runs.disclosures(cur, agent_id, actor, window)]
        return sorted(both, key=lambda r: (r.occurred_at, r.position))[:window.limit]

    return await _listing(store, audit.AuditLogProjection.name, min_position, limit, entries,
                          lambda r: (r.occurred_at, r.position))


@router.get("/notifications", response_model=NotificationsPage,
            responses=problems(401, 422, 503))
async def get_notifications(
    store: Store, _: Viewer, agent_id: UUID | None = None, kind: NotificationType = None,
    since: From = None, until: To = None, cursor: Cursor = None, limit: Limit = 50,
    min_position: MinPosition = None,
) -> Response:
    """Notices raised by events, newest first."""
    window = _window(since, until, cursor, limit)
    return await _listing(store, notifications.NotificationsProjection.name, min_position,
                          limit, lambda cur: notifications.notices(cur, agent_id, kind, window),
                          lambda r: (r.occurred_at, r.position))
