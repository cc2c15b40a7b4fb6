"""What the export routes take and answer with."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from projections import search
from projections.export_runs import Run, RunState, SavedDefinition
from projections.exports import ALL_COLUMNS, EXPORTED, PERSONAL, Definition, Format
from projections.lookups import AgentStatus, AgentType, Region
from readapi.schemas import TEXT, Public


class Strict(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class ExportFilters(Strict):
    """Search's filters (`GET /v1/agents`), every one optional."""

    q: Annotated[str | None, Field(min_length=1, max_length=100, pattern=TEXT)] = None
    status: AgentStatus | None = None
    agent_type: AgentType | None = None
    office_code: Annotated[str | None, Field(max_length=10, pattern=TEXT)] = None
    region: Region | None = None
    manager_id: UUID | None = None
    license_expiring_within_days: Annotated[int | None, Field(ge=0, le=3650)] = None


Column = Annotated[str, Field(json_schema_extra={"enum": list(ALL_COLUMNS)})]


class ExportSpec(Strict):
    """What an export reads and writes."""

    filters: ExportFilters = Field(default_factory=ExportFilters)
    columns: list[Column] = Field(
        default_factory=lambda: list(EXPORTED), min_length=1, max_length=len(ALL_COLUMNS),
        description="From GET /v1/exports/columns; by default every non-personal one. "
                    f"Personal ({', '.join(PERSONAL)}) only for an auditor, with a reason.")
    format: Format = Format.CSV
    sort: search.Sort = search.Sort.AGENT_CODE

    @field_validator("columns")
    @classmethod
    def _known_once(cls, columns: list[str]) -> list[str]:
        unknown = [c for c in columns if c not in ALL_COLUMNS]
        if unknown:
            raise ValueError(f"unknown columns {unknown}; GET /v1/exports/columns lists them")
        if len(set(columns)) != len(columns):
            raise ValueError("a column is named twice")
        return columns

    def definition(self) -> Definition:
        """The definition this spec describes."""
        return Definition(search.Filters(**self.filters.model_dump()), tuple(self.columns),
                          self.format, self.sort)

    @classmethod
    def of(cls, definition: Definition) -> ExportSpec:
        """The spec of a stored definition."""
        return cls.model_validate(definition.as_json())


class DefinitionIn(ExportSpec):
    """A named definition to keep."""

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=TEXT)]


class DefinitionPublic(Public):
    """A kept definition."""

    id: UUID
    name: str
    owner: str
    filters: ExportFilters
    columns: list[str]
    format: Format
    sort: search.Sort
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, saved: SavedDefinition) -> DefinitionPublic:
        """`saved` as answered."""
        spec = ExportSpec.of(saved.definition)
        return cls(id=saved.id, name=saved.name, owner=saved.owner, filters=spec.filters,
                   columns=spec.columns, format=spec.format, sort=spec.sort,
                   created_at=saved.created_at, updated_at=saved.updated_at)


class Definitions(Public):
    """The caller's definitions (an auditor's: everyone's)."""

    items: list[DefinitionPublic]


class RunIn(Strict):
    """A run to start: a kept definition's id or a definition inline, one of the two."""

    definition_id: UUID | None = None
    definition: ExportSpec | None = None
    reason: Annotated[str | None, Field(
        min_length=3, max_length=500, pattern=TEXT,
        description="Why; required when personal columns are asked for, and recorded "
                    "with the disclosure.")] = None


class RunLinks(Public):
    """Where to follow a run and fetch its file."""

    self: str
    download: str | None


class RunPublic(Public):
    """One run and how far it got."""

    id: UUID
    state: RunState
    definition_id: UUID | None
    definition: ExportSpec
    created_by: str
    reason: str | None
    rows_written: int
    rows_total: int | None
    position: int | None = Field(description="The log position of the view it reads.")
    size: int | None = Field(description="Bytes of the file, once written.")
    error: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    links: RunLinks

    @classmethod
    def of(cls, run: Run) -> RunPublic:
        """`run` as answered."""
        here = f"/v1/exports/{run.id}"
        done = run.state is RunState.SUCCEEDED
        return cls(id=run.id, state=run.state, definition_id=run.definition_id,
                   definition=ExportSpec.of(run.definition), created_by=run.created_by,
                   reason=run.reason, rows_written=run.rows_written, rows_total=run.rows_total,
                   position=run.position, size=run.size, error=run.error,
                   attempts=run.attempts, created_at=run.created_at,
                   started_at=run.started_at, finished_at=run.finished_at,
                   expires_at=run.expires_at,
                   links=RunLinks(self=here, download=f"{here}/download" if done else None))


class Runs(Public):
    """The caller's runs, newest first."""

    items: list[RunPublic]


class ColumnPublic(Public):
    """A column an export may hold."""

    name: str
    description: str
    personal: bool
    default: bool = Field(description="In an export that names no columns.")


class Columns(Public):
    """Every column, in the default order."""

    items: list[ColumnPublic]
