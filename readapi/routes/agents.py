"""Agents: search over the summary, and the complete profile in one read."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Query
from starlette.responses import Response

from projections import cache_marks, search
from projections.lookups import AgentStatus, AgentType, Region
from readapi import cursors
from readapi.deps import Cursor, Limit, MinPosition, SnapshotName, Store, Viewer
from readapi.errors import AgentNotFound
from readapi.responses import answer, page
from readapi.schemas import TEXT, AgentsPage, ProfilePublic
from webkit.openapi import problems

router = APIRouter(prefix="/v1/agents", tags=["agents"])

SEARCH = ("agent_summary",)
PROFILE = ("agent_profile", "hierarchy")


@router.get("", response_model=AgentsPage, responses=problems(401, 404, 422, 503))
async def search_agents(
    store: Store, _: Viewer,
    q: Annotated[str | None, Query(min_length=1, max_length=100, pattern=TEXT,
                                   description="Part of a name, typos tolerated; or the "
                                               "beginning of an agent code, a digit in it "
                                               "(AG-0012).")]
    = None,
    status: AgentStatus | None = None,
    agent_type: AgentType | None = None,
    office_code: Annotated[str | None, Query(max_length=10, pattern=TEXT)] = None,
    region: Region | None = None,
    manager_id: UUID | None = None,
    license_expiring_within_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    sort: search.Sort = search.Sort.AGENT_CODE,
    cursor: Cursor = None,
    limit: Limit = 50,
    min_position: MinPosition = None,
    snapshot: SnapshotName = None,
) -> Response:
    """Agents matching every given filter, a page at a time in a stable order; from a
    snapshot when one is named (licenses expiring judged from its date)."""
    filters = search.Filters(q, status, agent_type, office_code, region, manager_id,
                             license_expiring_within_days)
    after = cursors.decode_search(cursor, sort)
    held = None if snapshot is None else await store.snapshot(snapshot, SEARCH[0])
    today = date.today() if held is None else held.as_of.date()
    position = await store.wait(SEARCH, min_position) if held is None else held.position
    rows = await store.run(
        lambda cur: search.search(cur, filters, sort, after, limit + 1, today), held)
    return page(rows, limit, lambda r: cursors.encode(search.key_of(r, sort)), position)


@router.get("/{agent_id}", response_model=ProfilePublic,
            responses=problems(401, 404, 422, 503))
async def get_profile(agent_id: UUID, store: Store, _: Viewer,
                      min_position: MinPosition = None) -> Response:
    """Attributes, licenses, status history, manager chain and direct reports of one agent."""
    position = await store.wait(PROFILE, min_position)
    keys = [cache_marks.profile_key(agent_id), cache_marks.chain_key(agent_id)]
    profile, chain = await store.documents(keys, fresh=min_position is not None)
    if profile is None:
        raise AgentNotFound(agent_id)
    version, document = profile
    return answer(_public_profile(document, chain[1] if chain else b"[]"), position,
                  etag=f'"{version}"')


REPORTS = b'"reports":'
"""The stored profile's one key the public profile names otherwise (`direct_reports`)."""


def _public_profile(document: bytes, chain: bytes) -> orjson.Fragment:
    """The stored profile (JSON) as `ProfilePublic`: its `reports` named `direct_reports`,
    with the manager chain (JSON) beside them; spliced as bytes, never parsed, when the
    key's name occurs once (a name inside a JSON string would be escaped)."""
    if document.count(REPORTS) == 1 and document.endswith(b"}"):
        return orjson.Fragment(document[:-1].replace(REPORTS, b'"direct_reports":')
                               + b',"manager_chain":' + chain + b"}")
    parsed: dict[str, Any] = orjson.loads(document)
    own = {name: value for name, value in parsed.items() if name != "reports"}
    return orjson.Fragment(orjson.dumps({**own, "manager_chain": orjson.Fragment(chain),
                                         "direct_reports": parsed["reports"]}))
