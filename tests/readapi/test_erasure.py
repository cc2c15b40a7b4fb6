"""After an erasure, no read model, Redis document or export file holds the agent's personal
values, not even masked; the as-of replay and the disclosure show the marker; others' data
still reads; and a rebuild after the erasure writes the same marker (both stores)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from typing import Any

import psycopg
import redis
from fastapi.testclient import TestClient

from commands import models as cmd
from commands.service import AgentService
from consumers.export import ExportWorker
from domain.values import mask
from roster.settings import Settings, Store
from tests.builders import onboard_body
from tests.readapi.agents import APPROVER, CLERK
from tests.readapi.conftest import Models, items, run_export

PERSONAL = ("pan", "aadhaar", "bank_account", "email", "phone")
WHY = "the person asked for erasure"


def _traces(body: dict[str, Any]) -> list[str]:
    """What must not be found of an agent: each personal value, in full and masked."""
    return [*(body[k] for k in PERSONAL), *(mask(k, body[k]) for k in PERSONAL)]


def read_model_text(settings: Settings) -> str:
    """Every row of every read-model table (and the generations' registry) as text."""
    if settings.store is Store.SQLITE:
        found = []
        for path in sorted((settings.data_dir / "read_models").glob("*.db")):
            with closing(sqlite3.connect(path)) as conn:
                tables = [t for (t,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")]
                found += [repr(conn.execute(f'SELECT * FROM "{t}"').fetchall())
                          for t in tables]
        return "\n".join(found)
    with psycopg.connect(settings.postgres_conninfo()) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE "
            "table_schema LIKE %s AND table_name <> 'roster_events' "
            "AND table_type = 'BASE TABLE'", (settings.postgres_schema + "%",)).fetchall()
        return "\n".join(
            str(conn.execute(f'SELECT to_jsonb(t)::text FROM "{s}"."{n}" t').fetchall())
            for s, n in tables)


def redis_text(settings: Settings) -> str:
    """Every value under the test's Redis prefix, as text (none on SQLite)."""
    if settings.store is Store.SQLITE:
        return ""
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    readers: dict[str, Callable[[str], Any]] = {
        "string": client.get, "hash": client.hgetall, "set": client.smembers,
        "list": lambda k: client.lrange(k, 0, -1), "zset": lambda k: client.zrange(k, 0, -1)}
    return "\n".join(str(readers[str(client.type(key))](key))
                     for key in client.scan_iter(f"{settings.redis_prefix}:*"))


def export_bytes(settings: Settings) -> bytes:
    """Every file in the exports folder."""
    return b"".join(p.read_bytes() for p in settings.export_folder.glob("*") if p.is_file())


def test_an_erasure_leaves_no_trace_in_read_models_redis_or_exports(
    read_settings: Settings, write: AgentService, models: Models, client: TestClient,
    auditor: dict[str, str], worker: ExportWorker
) -> None:
    settings = read_settings
    gone_body = onboard_body(bank_account="135792468013", email="zed.gone@erasure.example.org")
    kept_body = onboard_body(bank_account="246813579024")
    gone = write.onboard(cmd.OnboardAgent(**gone_body), CLERK).agent_id
    kept = write.onboard(cmd.OnboardAgent(**kept_body), CLERK).agent_id
    write.update(gone, cmd.UpdateAgent(phone="9123456780"), CLERK)
    gone_body["phone"] = "9123456780"
    models.catch_up()
    run = run_export(client, worker, auditor, reason="KYC review of both", definition={
        "columns": ["agent_id", *(f"{k}_full" for k in PERSONAL)], "format": "csv"})
    assert gone_body["pan"].encode() in export_bytes(settings)

    write.reject(gone, cmd.Decide(), APPROVER)
    write.erase(gone, cmd.ErasePersonalData(reason=WHY), APPROVER)
    models.catch_up()
    worker.sweep()

    assert client.get(f"/v1/exports/{run['id']}", headers=auditor).json()["state"] == "expired"
    seen = read_model_text(settings) + redis_text(settings) + export_bytes(settings).decode()
    assert [t for t in _traces(gone_body) if t in seen] == []
    assert mask("pan", kept_body["pan"]) in seen, "the other agent is still there"
    profile = client.get(f"/v1/agents/{gone}", headers=auditor).json()
    assert {k: profile[k] for k in PERSONAL} == dict.fromkeys(PERSONAL, "erased")
    assert profile["status"] == "REJECTED", "the history stays"
    as_of = client.get(f"/v1/agents/{gone}/as-of", params={"version": 2},
                       headers=auditor).json()
    assert as_of["state"]["pan"] == "erased"
    assert write.personal_data(kept, 1)["pan"] == kept_body["pan"]
    timeline = items(client, f"/v1/agents/{gone}/timeline", auditor)
    assert timeline[0]["type"] == "PersonalDataErased"
