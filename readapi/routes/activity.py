"""What happened: an agent's timeline, its audit log, and notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response

from projections import audit, notifications, timeline
from readapi import cursors
from readapi.deps import Auditor, Cursor, Limit, MinPosition, Store, Viewer
from readapi.responses import page
from webkit.problems import Problem

router = APIRouter(prefix="/v1", tags=["activity"])

From = Annotated[datetime | None, Query(alias="from", description="Inclusive, ISO 8601.")]
To = Annotated[datetime | None, Query(alias="to", description="Exclusive, ISO 8601.")]
NotificationType = Annotated[str | None, Query(
    alias="type", description=f"One of: {', '.join(sorted(set(notifications.KINDS.values())))}")]


def _range(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise Problem(422, "bad_range", "`from` must be before `to`")
    for bound in (since, until):
        if bound is not None and bound.tzinfo is None:
            raise Problem(422, "bad_range", "give `from` and `to` with a time zone offset")


@router.get("/agents/{agent_id}/timeline")
async def get_timeline(
    agent_id: UUID, store: Store, _: Viewer, since: From = None, until: To = None,
    types: Annotated[list[str] | None, Query(description="Event types (repeatable).")] = None,
    cursor: Cursor = None, limit: Limit = 50, min_position: MinPosition = None,
) -> Response:
    """The agent's events, newest first, each with a one-line summary."""
    _range(since, until)
    position = await store.wait((timeline.TimelineProjection.name,), min_position)
    after = cursors.decode_at(cursor)
    rows = await store.run(lambda cur: timeline.entries(cur, agent_id, since, until, types,
                                                        after, limit + 1))
    return page(rows, limit, lambda r: cursors.encode_at(r.occurred_at, r.agent_version),
                position)


@router.get("/agents/{agent_id}/audit")
async def get_audit(
    agent_id: UUID, store: Store, _: Auditor, since: From = None, until: To = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Cursor = None, limit: Limit = 50, min_position: MinPosition = None,
) -> Response:
    """Every event of the agent, oldest first, with who did it and each field's before/after."""
    _range(since, until)
    position = await store.wait((audit.AuditLogProjection.name,), min_position)
    after = cursors.decode_at(cursor)
    rows = await store.run(lambda cur: audit.entries(cur, agent_id, since, until, actor,
                                                     after, limit + 1))
    return page(rows, limit, lambda r: cursors.encode_at(r.occurred_at, r.position),
                position)


@router.get("/notifications")
async def get_notifications(
    store: Store, _: Viewer, agent_id: UUID | None = None, kind: NotificationType = None,
    since: From = None, until: To = None, cursor: Cursor = None, limit: Limit = 50,
    min_position: MinPosition = None,
) -> Response:
    """Notices raised by events, newest first."""
    _range(since, until)
    if kind is not None and kind not in notifications.KINDS.values():
        raise Problem(422, "bad_type", f"no notification type {kind!r}")
    position = await store.wait((notifications.NotificationsProjection.name,), min_position)
    after = cursors.decode_at(cursor)
    rows = await store.run(lambda cur: notifications.notices(cur, agent_id, kind, since, until,
                                                             after, limit + 1))
    return page(rows, limit, lambda r: cursors.encode_at(r.occurred_at, r.position),
                position)
