"""Exports: kept definitions, runs queued for a worker, their progress and their files.

A run is visible to its creator and to auditors; personal columns in full are an auditor's
alone, with a reason, and the worker records each agent they disclose.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import FileResponse, Response

from projections import export_runs
from projections.export_runs import Run, RunState, SavedDefinition
from projections.exports import COLUMN_DESCRIPTIONS, EXPORTED, MEDIA_TYPES, PERSONAL, Definition
from readapi.deps import Store, Viewer
from readapi.errors import (
    BadExport,
    ExportDefinitionNotFound,
    ExportExpired,
    ExportNotFound,
    ExportNotReady,
    NotYours,
    PersonalNeedsAuditor,
)
from readapi.export_schemas import (
    ColumnPublic,
    Columns,
    DefinitionIn,
    DefinitionPublic,
    Definitions,
    RunIn,
    RunPublic,
    Runs,
)
from readapi.store import ReadStore
from webkit.auth import Principal, Role
from webkit.openapi import problems

router = APIRouter(prefix="/v1/exports", tags=["exports"])


def _json(body: Definitions | DefinitionPublic | RunPublic | Runs | Columns,
          status: int = 200, location: str | None = None) -> Response:
    headers = {"Location": location} if location else None
    return Response(body.model_dump_json(), status_code=status, headers=headers,
                    media_type="application/json")


def _sees_all(who: Principal) -> bool:
    return who.role is Role.AUDITOR


@router.get("/columns", response_model=Columns, responses=problems(401))
async def list_columns(_: Viewer) -> Response:
    """Every column an export may hold, which are personal, and which an export holds by
    default."""
    return _json(Columns(items=[
        ColumnPublic(name=name, description=text, personal=name in PERSONAL,
                     default=name in EXPORTED)
        for name, text in COLUMN_DESCRIPTIONS.items()]))


@router.post("/definitions", status_code=201, response_model=DefinitionPublic,
             responses=problems(400, 401, 422, 503))
async def create_definition(body: DefinitionIn, store: Store, who: Viewer) -> Response:
    """Keep a named definition: search's filters, the columns, the format and the order."""
    now = datetime.now(UTC)
    saved = SavedDefinition(uuid.uuid4(), body.name, who.subject, body.definition(), now, now)
    await store.run(lambda cur: export_runs.save_definition(cur, saved))
    return _json(DefinitionPublic.of(saved), 201, f"/v1/exports/definitions/{saved.id}")


@router.get("/definitions", response_model=Definitions, responses=problems(401, 503))
async def list_definitions(store: Store, who: Viewer) -> Response:
    """The caller's definitions by name (an auditor sees everyone's)."""
    owner = None if _sees_all(who) else who.subject
    found = await store.run(lambda cur: export_runs.definitions(cur, owner))
    return _json(Definitions(items=[DefinitionPublic.of(d) for d in found]))


async def _definition(store: ReadStore, who: Principal, definition_id: UUID) -> SavedDefinition:
    found = await store.run(lambda cur: export_runs.definition(cur, definition_id))
    if found is None or not (found.owner == who.subject or _sees_all(who)):
        raise ExportDefinitionNotFound(definition_id)
    return found


async def _owned(store: ReadStore, who: Principal, definition_id: UUID) -> SavedDefinition:
    found = await _definition(store, who, definition_id)
    if found.owner != who.subject:
        raise NotYours(f"definition {definition_id} belongs to {found.owner}")
    return found


@router.get("/definitions/{definition_id}", response_model=DefinitionPublic,
            responses=problems(401, 404, 422, 503))
async def get_definition(definition_id: UUID, store: Store, who: Viewer) -> Response:
    """One definition."""
    return _json(DefinitionPublic.of(await _definition(store, who, definition_id)))


@router.put("/definitions/{definition_id}", response_model=DefinitionPublic,
            responses=problems(400, 401, 403, 404, 422, 503))
async def replace_definition(definition_id: UUID, body: DefinitionIn, store: Store,
                             who: Viewer) -> Response:
    """Replace one of the caller's definitions (runs already made keep their own copy)."""
    found = await _owned(store, who, definition_id)
    saved = SavedDefinition(found.id, body.name, found.owner, body.definition(),
                            found.created_at, datetime.now(UTC))
    await store.run(lambda cur: export_runs.save_definition(cur, saved))
    return _json(DefinitionPublic.of(saved))


@router.delete("/definitions/{definition_id}", status_code=204,
               responses=problems(401, 403, 404, 422, 503))
async def delete_definition(definition_id: UUID, store: Store, who: Viewer) -> Response:
    """Forget one of the caller's definitions."""
    await _owned(store, who, definition_id)
    await store.run(lambda cur: export_runs.delete_definition(cur, definition_id))
    return Response(status_code=204)


@router.post("", status_code=202, response_model=RunPublic,
             responses=problems(400, 401, 403, 404, 422, 503))
async def start_run(body: RunIn, store: Store, who: Viewer) -> Response:
    """Queue a run of a kept definition or of one given inline; a worker writes its file.
    Follow it at the `Location` answered."""
    if (body.definition_id is None) == (body.definition is None):
        raise BadExport("give either definition_id or definition, not both")
    definition = await _asked(store, who, body)
    personal = [c for c in definition.columns if c in PERSONAL]
    if personal and who.role is not Role.AUDITOR:
        raise PersonalNeedsAuditor(personal)
    if personal and body.reason is None:
        raise BadExport("personal columns need a reason; it is recorded with the disclosure")
    run_id = uuid.uuid4()
    now = datetime.now(UTC)
    await store.run(lambda cur: export_runs.enqueue(
        cur, run_id, body.definition_id, definition, who.subject, body.reason, now))
    return _json(RunPublic.of(await _run(store, who, run_id)), 202, f"/v1/exports/{run_id}")


async def _asked(store: ReadStore, who: Principal, body: RunIn) -> Definition:
    """The definition a run asks for: inline, or kept (and visible to the caller)."""
    if body.definition is not None:
        return body.definition.definition()
    assert body.definition_id is not None
    return (await _definition(store, who, body.definition_id)).definition


async def _run(store: ReadStore, who: Principal, run_id: UUID) -> Run:
    found = await store.run(lambda cur: export_runs.run(cur, run_id))
    if found is None or not (found.created_by == who.subject or _sees_all(who)):
        raise ExportNotFound(run_id)
    return found


@router.get("", response_model=Runs, responses=problems(401, 422, 503))
async def list_runs(store: Store, who: Viewer,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    """The caller's runs, newest first."""
    found = await store.run(lambda cur: export_runs.runs(cur, who.subject, limit))
    return _json(Runs(items=[RunPublic.of(r) for r in found]))


@router.get("/{run_id}", response_model=RunPublic, responses=problems(401, 404, 422, 503))
async def get_run(run_id: UUID, store: Store, who: Viewer) -> Response:
    """A run: its state, rows written of the total, the position it reads, and the link to
    its file once written."""
    return _json(RunPublic.of(await _run(store, who, run_id)))


_FILE = {"schema": {"type": "string", "format": "binary"}}


@router.get("/{run_id}/download", response_class=FileResponse,
            responses={200: {"description": "The file (ranges accepted: 206).",
                             "content": {media: _FILE for media in MEDIA_TYPES.values()}},
                       **problems(401, 404, 409, 410, 416, 422, 503)})
async def download(run_id: UUID, store: Store, who: Viewer) -> Response:
    """The run's file, with its length and a strong ETag; `Range` asks for part of it."""
    found = await _run(store, who, run_id)
    if found.state is RunState.EXPIRED:
        raise ExportExpired(f"export {run_id} expired at {found.expires_at}")
    if found.state is not RunState.SUCCEEDED or found.file is None:
        raise ExportNotReady(f"export {run_id} is {found.state.value}", state=found.state.value)
    path = store.config.exports_dir / found.file
    if not path.is_file():
        raise ExportExpired(f"the file of export {run_id} is gone")
    fmt = found.definition.format
    return FileResponse(path, media_type=MEDIA_TYPES[fmt],
                        filename=f"agents-{run_id}.{fmt.value}",
                        headers={"ETag": found.etag or ""})
