"""Verification against the log, with the consumers running: nothing found on a healthy store
while writes go on; every kind of tampering found and named in each projection, shown on the
operations page, and repaired; a verification killed again and again that leaves the live
read models untouched and nothing behind."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import psycopg
from fastapi.testclient import TestClient

from commands.service import AgentService
from projections.generations import State, file_name, schema_name
from roster import pipeline
from roster.settings import Settings, Store
from roster.wiring import read_api
from tests.pipeline.conftest import Roster
from tests.pipeline.workload import wait_for
from tests.rebuild.helpers import (
    assert_whole_log_folded,
    caught_up,
    operations_page,
    registry,
    running,
    writing,
)
from webkit.auth import Role, issue_token

NAMES = sorted(p.name for p in pipeline.projections())

TAMPERING: dict[str, tuple[str, str, str, tuple[str, Any]]] = {
    "agent_summary": ("agent_summary", "office_code = 'TAMPER'", "agent_id = %s",
                      ("agent_id = %s", None)),
    "agent_profile": ("agent_profile", "version = 999", "agent_id = %s", ("agent_id = %s", None)),
    "timeline": ("timeline", "actor = 'mallory'", "agent_id = %s AND agent_version = 1",
                 ("agent_version = agent_version + %s", 1000)),
    "hierarchy": ("hierarchy", "depth = 42", "agent_id = %s", ("agent_id = %s", None)),
    "audit_log": ("audit_log", "actor = 'mallory'",
                  "position = (SELECT min(position) FROM audit_log WHERE agent_id = %s)",
                  ("position = position + %s", 10**9)),
    "dashboard": ("dashboard_agent", "version = 999", "agent_id = %s", ("agent_id = %s", None)),
    "notifications": ("notifications", "message = 'tampered'",
                      "position = (SELECT min(position) FROM notifications WHERE agent_id = %s)",
                      ("position = position + %s", 10**9)),
}
"""Per projection: a table, a change made behind the projection's back, which row of an agent
to touch, and a change of that row's key (a row the log does not have)."""


def _verify(roster: Roster, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    done = roster.run("verify", "--json", *args)
    assert done.returncode in (0, 1), done.stderr
    verdicts = {v["projection"]: v for v in orjson.loads(done.stdout)}
    return done.returncode, verdicts


def test_a_healthy_store_verifies_clean_while_writes_continue(
    rebuild_settings: Settings, rebuild_service: AgentService, roster: Roster
) -> None:
    settings, service = rebuild_settings, rebuild_service
    running(settings, service, roster, 300)
    with writing(service, per_second=60) as workload:
        code, verdicts = _verify(roster, "--all")
        assert workload.commands > 0
    assert sorted(verdicts) == NAMES
    assert code == 0, [v for v in verdicts.values() if v["differences"]]
    assert all(v["position"] > 0 and v["tables"] for v in verdicts.values())
    assert all(t["compared"] > 0 for v in verdicts.values() for t in v["tables"])


def _tamper(settings: Settings, agents: list[UUID]) -> dict[str, tuple[UUID, UUID, UUID]]:
    """Change, delete and re-key one row of three agents in each projection; who was hit."""
    store = pipeline.generations(settings)
    hit = {}
    for n, (name, (table, change, row, (rekey, by))) in enumerate(TAMPERING.items()):
        changed, deleted, rekeyed = agents[3 * n + 10], agents[3 * n + 11], agents[3 * n + 12]

        def work(cur: Any, table: str = table, change: str = change, row: str = row,
                 rekey: str = rekey, by: Any = by, who: tuple[UUID, ...] = (
                     changed, deleted, rekeyed)) -> None:
            cur.execute(f"UPDATE {table} SET {change} WHERE {row}", (who[0],))
            cur.execute(f"DELETE FROM {table} WHERE {row}", (who[1],))
            cur.execute(f"UPDATE {table} SET {rekey} WHERE {row}",
                        (uuid4() if by is None else by, who[2]))
        live = store.live(name)
        live.run(work)
        live.close()
        hit[name] = (changed, deleted, rekeyed)
    store.registry.close()
    return hit


def test_verify_names_every_kind_of_tampering_in_each_projection_and_repair_restores(
    rebuild_settings: Settings, rebuild_service: AgentService, roster: Roster
) -> None:
    settings, service = rebuild_settings, rebuild_service
    agents = running(settings, service, roster, 120)
    hit = _tamper(settings, agents)

    code, verdicts = _verify(roster, "--all")
    assert code == 1
    for name, (changed, deleted, rekeyed) in hit.items():
        table = TAMPERING[name][0]
        counts = {t["table"]: t for t in verdicts[name]["tables"]}[table]
        assert (counts["different"], counts["missing"], counts["extra"]) == (1, 2, 1), name
        examples = {(e["kind"], e["agent_id"]): e for e in verdicts[name]["examples"]}
        assert ("different", str(changed)) in examples, (name, examples)
        assert examples[("different", str(changed))]["fields"], "the differing field is named"
        assert ("missing", str(deleted)) in examples, name
        assert ("missing", str(rekeyed)) in examples, name
        assert any(kind == "extra" for kind, _ in examples), name
    shown = {p["projection"]: p for p in operations_page(settings)["projections"]}
    assert all(shown[name]["verification"]["differences"] == 4 for name in NAMES), shown
    assert _metric_lines(settings) == {f'roster_verify_differences{{projection="{n}"}} 4.0'
                                       for n in NAMES}

    repaired = roster.run("verify", "--all", "--repair", "--quiet")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert caught_up(settings, service)
    assert_whole_log_folded(settings, service)
    code, verdicts = _verify(roster, "--all")
    assert code == 0
    shown = {p["projection"]: p for p in operations_page(settings)["projections"]}
    assert all(shown[name]["verification"]["differences"] == 0 for name in NAMES)


def _metric_lines(settings: Settings) -> set[str]:
    token = issue_token(settings.jwt_secret.get_secret_value(), "olga", Role.OPERATOR, 600)
    with TestClient(read_api(settings)) as client:
        text = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
    return {line for line in text.splitlines() if line.startswith("roster_verify_differences{")}


def _verifying(settings: Settings) -> dict[str, int]:
    return {g.projection: g.position for g in registry(settings)
            if g.state is State.VERIFYING}


def _leftovers(settings: Settings, numbers: dict[str, int]) -> list[str]:
    """The schemas or files of the given generations that still exist."""
    if settings.store is Store.SQLITE:
        folder = Path(settings.read_models_path).parent
        return [str(folder / file_name(p, n)) for p, n in numbers.items()
                if (folder / file_name(p, n)).exists()]
    with psycopg.connect(settings.postgres_conninfo()) as conn:
        names = [schema_name(settings.postgres_schema, p, n) for p, n in numbers.items()]
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)",
                            (names,)).fetchall()
    return [row[0] for row in rows]


def test_a_verification_killed_again_and_again_leaves_the_read_models_and_nothing_behind(
    rebuild_settings: Settings, rebuild_service: AgentService, roster: Roster
) -> None:
    settings, service = rebuild_settings, rebuild_service
    running(settings, service, roster, 800)
    chance = random.Random(7)
    left: dict[str, int] = {}
    with writing(service) as workload:
        for _ in range(3):
            job = roster.start("verify", "--all", "--page", "100", "--quiet")
            assert wait_for(lambda: any(_verifying(settings).values()), every=0.05), \
                "the verification made progress before it was killed"
            time.sleep(chance.uniform(0, 1.0))
            job.kill()
            assert job.wait() != 0, "killed before it finished"
            left |= {g.projection: g.number for g in registry(settings)
                     if g.state is State.VERIFYING}
        assert workload.commands > 0
    assert left, "the kills left unfinished verifications behind"
    assert caught_up(settings, service), "the consumers were never stopped"
    assert_whole_log_folded(settings, service)
    code, _ = _verify(roster, "--all")
    assert code == 0
    assert _verifying(settings) == {}
    assert _leftovers(settings, left) == []
