"""The read API's dependencies: the store, callers by role, and read-your-writes positions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi import Request as HttpRequest

from readapi.store import ReadStore
from webkit.auth import Principal, Role, caller


async def _store(request: HttpRequest) -> ReadStore:
    store: ReadStore = request.app.state.store
    return store


Store = Annotated[ReadStore, Depends(_store)]
Viewer = Annotated[Principal, caller(*Role)]
"""Any authenticated caller: every role may read."""
Auditor = Annotated[Principal, caller(Role.AUDITOR)]
Operator = Annotated[Principal, caller(Role.OPERATOR)]
MinPosition = Annotated[int | None, Query(
    ge=0, le=2**63 - 1,
    description="Wait (up to a bound) until the read model has reached this position, as "
                "returned by a write; a position beyond the log's head is refused at once.")]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Cursor = Annotated[str | None, Query(description="From the previous page's `next_cursor`.")]

POSITION_HEADER = "X-Read-Position"
"""The response header naming the position the answer reflects."""
SnapshotName = Annotated[str | None, Query(
    max_length=63, description="Answer from this snapshot (GET /v1/snapshots) instead of the "
                               "live read models, dates judged as of its moment.")]
