"""Overviews: the dashboard, the snapshots, and the lookup lists filters accept."""

from __future__ import annotations

from datetime import date

import orjson
from fastapi import APIRouter
from starlette.responses import Response

from projections import cache_marks, dashboard, snapshots
from projections.lookups import LOOKUPS, LookupKind
from readapi.deps import MinPosition, SnapshotName, Store, Viewer
from readapi.errors import ReadModelMissing
from readapi.responses import answer
from readapi.schemas import Dashboard, Lookup, Snapshots
from webkit.openapi import problems

router = APIRouter(prefix="/v1", tags=["overview"])


@router.get("/dashboard", response_model=Dashboard, responses=problems(401, 404, 422, 503))
async def get_dashboard(store: Store, _: Viewer, min_position: MinPosition = None,
                        snapshot: SnapshotName = None) -> Response:
    """Counts by status, type and region; pending decisions; licenses expiring in 30 days;
    onboardings per month over 12 months (from a snapshot when one is named, as of its
    date)."""
    if snapshot is not None:
        held = await store.snapshot(snapshot, dashboard.DashboardProjection.name)
        _revision, counted = await store.run(
            lambda cur: dashboard.dashboard(cur, held.as_of.date()), held)
        return answer(counted, held.position)
    position = await store.wait((dashboard.DashboardProjection.name,), min_position)
    (found,) = await store.documents([cache_marks.DASHBOARD], fresh=min_position is not None)
    if found is not None and orjson.loads(found[1])["as_of"] != date.today().isoformat():
        (found,) = await store.documents([cache_marks.DASHBOARD], fresh=True)
    if found is None:
        raise ReadModelMissing("the dashboard has not been built yet")
    return answer(orjson.Fragment(found[1]), position)


@router.get("/snapshots", response_model=Snapshots, responses=problems(401, 503))
async def get_snapshots(store: Store, _: Viewer) -> Response:
    """Every ready snapshot: its name, moment, log position, who made it and when, and the
    read models it holds (`?snapshot=NAME` on search, the dashboard and the hierarchy)."""
    found = await store.run(snapshots.all_snapshots)
    return answer({"items": [
        {"name": s.name, "as_of": s.as_of, "position": s.position, "created_by": s.created_by,
         "created_at": s.created_at, "projections": s.projections}
        for s in found if s.ready]}, 0)


@router.get("/lookups/{kind}", response_model=Lookup, responses=problems(401, 422))
async def get_lookup(kind: LookupKind, _: Viewer) -> Response:
    """The values of one lookup: statuses, agent-types, license-types, regions,
    termination-reasons or reinstatement-reasons."""
    return answer({"kind": kind, "values": [v.value for v in LOOKUPS[kind]]}, 0)
