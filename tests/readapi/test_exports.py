"""Exports on both stores: a run's file, parsed back, holds exactly what search answers for the
same filters and order, in each format; personal columns only for an auditor with a reason,
recorded in the audit log; runs private to their creator and auditors; files expire."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import openpyxl
import pytest
from fastapi.testclient import TestClient

from commands import models as cmd
from commands.service import AgentService
from consumers.export import ExportWorker
from consumers.export_view import PostgresView
from projections.exports import EXPORTED
from roster.settings import Settings
from tests.builders import onboard_body
from tests.pipeline.conftest import free_port
from tests.readapi.agents import APPROVER, CLERK, run_commands
from tests.readapi.conftest import Models, bearer, items, run_export
from webkit.auth import Role

INTEGERS = {"version", "position", "reports"}
TIMES = {"onboarded_at", "updated_at"}


def normal(column: str, value: Any) -> Any:
    """A value as search and every format can be compared: None for nothing, documents
    parsed, times as datetimes, counts as integers, the rest as text."""
    if value is None or value == "":
        return None
    if column == "licenses":
        return json.loads(value) if isinstance(value, str) else value
    if column in TIMES:
        return datetime.fromisoformat(str(value))
    if column in INTEGERS:
        return int(value)
    return str(value)


def parsed(fmt: str, body: bytes) -> list[dict[str, Any]]:
    """The rows of an export file, keyed by column."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(body.decode())))
    if fmt == "ndjson":
        return [json.loads(line) for line in body.decode().splitlines()]
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    header, *rows = list(sheet.values)
    return [dict(zip(header, row, strict=True)) for row in rows]




FILTERS: list[dict[str, Any]] = [
    {}, {"status": "ACTIVE"}, {"q": "rao"}, {"license_expiring_within_days": 800},
    {"status": "SUSPENDED", "region": "WEST"},
]


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "xlsx"])
def test_an_export_holds_what_search_answers(
        fmt: str, write: AgentService, models: Models, client: TestClient,
        worker: ExportWorker, viewer: dict[str, str]) -> None:
    run_commands(write, _steps())
    models.catch_up()
    for filters in FILTERS:
        for sort in ("agent_code", "-onboarded_at"):
            run = run_export(client, worker, viewer,
                             definition={"filters": filters, "format": fmt, "sort": sort})
            assert run["state"] == "succeeded", run
            searched = items(client, "/v1/agents", viewer, sort=sort, limit=7, **filters)
            got = client.get(run["links"]["download"], headers=viewer)
            assert got.status_code == 200
            rows = parsed(fmt, got.content)
            assert run["rows_written"] == run["rows_total"] == len(rows) == len(searched)
            assert [{c: normal(c, r[c]) for c in EXPORTED} for r in rows] == \
                   [{c: normal(c, s[c]) for c in EXPORTED} for s in searched], filters
            assert run["position"] == write.ready()


def _steps() -> list[tuple[str, int, int]]:
    """A fixed mix of commands: onboardings, moves, suspensions, licenses, terminations."""
    kinds = ["onboard", "approve", "license", "move", "suspend", "update", "top", "terminate",
             "resume"]
    return [(kinds[n % len(kinds)], (n * 7) % 6, (n * 5) % 6) for n in range(60)]


def test_personal_columns_are_an_auditors_with_a_reason_and_are_disclosed(
        read_settings: Settings, write: AgentService, models: Models, client: TestClient,
        worker: ExportWorker, viewer: dict[str, str]) -> None:
    auditor = bearer(read_settings, Role.AUDITOR, "auditor-1")
    bodies = [onboard_body(bank_account="001122334455" if n == 0 else None) for n in range(3)]
    ids = [write.onboard(cmd.OnboardAgent(**b), CLERK).agent_id for b in bodies]
    write.approve(ids[0], APPROVER)
    models.catch_up()
    asked = {"columns": ["agent_id", "pan", "pan_full", "aadhaar_full", "bank_account_full"],
             "format": "ndjson"}
    refused = client.post("/v1/exports", headers=viewer, json={"definition": asked,
                                                               "reason": "curious"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "personal_columns_need_auditor"
    unexplained = client.post("/v1/exports", headers=auditor, json={"definition": asked})
    assert unexplained.status_code == 422
    masked = run_export(client, worker, viewer, definition={"format": "ndjson"})
    masked_rows = parsed("ndjson", client.get(masked["links"]["download"],
                                              headers=viewer).content)
    assert {"pan_full", "aadhaar_full", "bank_account_full"}.isdisjoint(masked_rows[0])
    assert all(r["pan"].startswith("XXXXX") for r in masked_rows)

    run = run_export(client, worker, auditor, definition=asked, reason="KYC review 42")
    assert run["state"] == "succeeded", run
    rows = parsed("ndjson", client.get(run["links"]["download"], headers=auditor).content)
    full = {UUID(r["agent_id"]): (r["pan_full"], r["aadhaar_full"], r["bank_account_full"])
            for r in rows}
    assert full == {i: (b["pan"], b["aadhaar"], b.get("bank_account"))
                    for i, b in zip(ids, bodies, strict=True)}
    for agent in ids:
        audit = items(client, f"/v1/agents/{agent}/audit", auditor)
        disclosed = [e for e in audit if e["type"] == "PersonalDataExported"]
        assert [(e["actor"], e["reason"], e["correlation_id"]) for e in disclosed] == \
               [("auditor-1", "KYC review 42", run["id"])]
        assert audit[0]["type"] == "Onboarded"
    assert client.get(f"/v1/exports/{run['id']}", headers=viewer).status_code == 404
    assert client.get(run["links"]["download"], headers=viewer).status_code == 404
    other = bearer(read_settings, Role.AUDITOR, "auditor-2")
    assert client.get(run["links"]["download"], headers=other).status_code == 200
    assert [r["id"] for r in client.get("/v1/exports", headers=viewer).json()["items"]] == \
           [masked["id"]]


def test_a_download_has_its_length_etag_and_ranges(
        write: AgentService, models: Models, client: TestClient, worker: ExportWorker,
        viewer: dict[str, str]) -> None:
    run_commands(write, _steps()[:20])
    models.catch_up()
    run = run_export(client, worker, viewer, definition={"format": "csv"})
    whole = client.get(run["links"]["download"], headers=viewer)
    assert whole.headers["content-length"] == str(run["size"]) == str(len(whole.content))
    assert whole.headers["content-disposition"] == \
           f'attachment; filename="agents-{run["id"]}.csv"'
    assert whole.headers["etag"] == f'"{hashlib.sha256(whole.content).hexdigest()}"'
    part = client.get(run["links"]["download"], headers={**viewer, "Range": "bytes=10-29"})
    assert part.status_code == 206
    assert part.content == whole.content[10:30]
    assert part.headers["content-range"] == f"bytes 10-29/{run['size']}"


def test_definitions_are_kept_changed_and_forgotten_by_their_owner(
        read_settings: Settings, models: Models, client: TestClient, worker: ExportWorker,
        viewer: dict[str, str]) -> None:
    auditor = bearer(read_settings, Role.AUDITOR, "auditor-1")
    body = {"name": "west actives", "filters": {"status": "ACTIVE", "region": "WEST"},
            "columns": ["agent_code", "last_name"], "format": "xlsx", "sort": "name"}
    made = client.post("/v1/exports/definitions", headers=viewer, json=body)
    assert made.status_code == 201, made.text
    saved = made.json()
    assert made.headers["location"] == f"/v1/exports/definitions/{saved['id']}"
    assert saved["owner"] == "reader-1"
    assert saved["filters"]["region"] == "WEST"
    assert saved["columns"] == ["agent_code", "last_name"]
    stranger = bearer(read_settings, Role.VIEWER, "reader-2")
    assert client.get(made.headers["location"], headers=stranger).status_code == 404
    assert client.get("/v1/exports/definitions", headers=stranger).json()["items"] == []
    assert client.get(made.headers["location"], headers=auditor).status_code == 200
    assert client.put(made.headers["location"], headers=auditor,
                      json=body).json()["code"] == "not_owner"
    changed = client.put(made.headers["location"], headers=viewer,
                         json={**body, "format": "csv", "name": "west"})
    assert changed.status_code == 200
    assert (changed.json()["format"], changed.json()["name"]) == ("csv", "west")
    run = run_export(client, worker, viewer, definition_id=saved["id"])
    assert (run["state"], run["definition_id"]) == ("succeeded", saved["id"])
    assert run["definition"]["format"] == "csv"
    assert client.delete(made.headers["location"], headers=viewer).status_code == 204
    assert client.get(made.headers["location"], headers=viewer).status_code == 404
    assert client.get(f"/v1/exports/{run['id']}", headers=viewer).status_code == 200


@pytest.mark.parametrize("body", [
    {}, {"definition": {}, "definition_id": "00000000-0000-0000-0000-000000000000"},
    {"definition": {"columns": ["nope"]}}, {"definition": {"columns": []}},
    {"definition": {"columns": ["agent_code", "agent_code"]}},
    {"definition": {"format": "pdf"}}, {"definition": {"filters": {"status": "BORED"}}},
    {"definition": {"filters": {"license_expiring_within_days": -1}}},
    {"definition": {}, "surprise": 1}, {"definition": {"filters": {"q": "ra\u0000o"}}},
    {"definition": {}, "reason": "why\u0000"},
])
def test_bad_export_requests_are_refused_with_a_problem(
        body: dict[str, Any], models: Models, client: TestClient,
        viewer: dict[str, str]) -> None:
    answered = client.post("/v1/exports", headers=viewer, json=body)
    assert answered.status_code == 422, answered.text
    assert answered.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/exports", headers=viewer).json()["items"] == []


def test_files_expire_and_are_removed(
        write: AgentService, models: Models, client: TestClient, worker: ExportWorker,
        viewer: dict[str, str]) -> None:
    run_commands(write, _steps()[:10])
    models.catch_up()
    run = run_export(client, worker, viewer, definition={"format": "ndjson"})
    waiting = client.post("/v1/exports", headers=viewer, json={"definition": {}}).json()
    assert client.get(f"/v1/exports/{waiting['id']}/download",
                      headers=viewer).json()["code"] == "export_not_ready"
    files = list(worker.config.folder.iterdir())
    assert [f.name for f in files] == [f"{run['id']}.1.ndjson"]
    later = datetime.now(UTC) + worker.config.ttl + timedelta(seconds=1)
    worker.clock = lambda: later
    assert worker.sweep() == 1
    assert list(worker.config.folder.iterdir()) == []
    expired = client.get(f"/v1/exports/{run['id']}", headers=viewer).json()
    assert (expired["state"], expired["links"]["download"]) == ("expired", None)
    gone = client.get(f"/v1/exports/{run['id']}/download", headers=viewer)
    assert (gone.status_code, gone.json()["code"]) == (410, "export_expired")


def test_a_run_whose_database_is_away_goes_back_to_the_queue(
        write: AgentService, models: Models, client: TestClient, worker: ExportWorker,
        viewer: dict[str, str]) -> None:
    run_commands(write, _steps()[:10])
    models.catch_up()
    live = worker.view
    worker.view = PostgresView(f"host=127.0.0.1 port={free_port()} user=roster dbname=roster "
                               "connect_timeout=2")
    try:
        started = client.post("/v1/exports", headers=viewer, json={"definition": {}}).json()
        assert worker.work_once()
        waiting = client.get(f"/v1/exports/{started['id']}", headers=viewer).json()
        assert (waiting["state"], waiting["attempts"]) == ("queued", 1)
        assert waiting["error"].startswith("the database failed")
        assert list(worker.config.folder.iterdir()) == []
    finally:
        worker.view = live
    assert worker.work_once()
    done = client.get(f"/v1/exports/{started['id']}", headers=viewer).json()
    assert (done["state"], done["attempts"]) == ("succeeded", 2)


def test_text_with_a_nul_character_is_refused_on_both_stores(
        models: Models, client: TestClient, viewer: dict[str, str]) -> None:
    for params in ({"q": "ra\x00o"}, {"office_code": "\x00"}):
        answered = client.get("/v1/agents", headers=viewer, params=params)
        assert answered.status_code == 422, (params, answered.text)
    named = client.post("/v1/exports/definitions", headers=viewer,
                        json={"name": "west\u0000", "format": "csv"})
    assert named.status_code == 422
