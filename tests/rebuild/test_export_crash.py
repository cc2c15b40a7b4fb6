"""A SIGKILLed export worker: the run is taken over once its lease runs out and ends
`succeeded` with the full, correct file (or `failed` with a reason), never `succeeded` with a
short one; the killed attempts' files are swept away and each agent is disclosed once."""

from __future__ import annotations

import csv
import io
import random
import signal
from typing import Any

from fastapi.testclient import TestClient

from commands.service import AgentService
from roster import pipeline
from roster.settings import Settings
from roster.wiring import read_api
from tests.pipeline.conftest import Roster
from tests.pipeline.workload import wait_for
from tests.rebuild.helpers import running
from webkit.auth import Role, issue_token

AGENTS = 1500
LEASE = {"ROSTER_EXPORT_LEASE_SECONDS": "2", "ROSTER_EXPORT_POLL_SECONDS": "0.2"}


def test_a_killed_worker_never_leaves_a_short_file_behind_success(
        rebuild_settings: Settings, rebuild_service: AgentService, roster: Roster) -> None:
    agents = running(rebuild_settings, rebuild_service, roster, AGENTS)
    token = issue_token(rebuild_settings.jwt_secret.get_secret_value(), "auditor-1",
                        Role.AUDITOR, 600)
    headers = {"Authorization": f"Bearer {token}"}
    columns = ["agent_id", "agent_code", "status", "pan_full", "aadhaar_full"]
    with TestClient(read_api(rebuild_settings)) as client:
        made = client.post("/v1/exports", headers=headers, json={
            "definition": {"columns": columns, "format": "csv"}, "reason": "crash drill"})
        assert made.status_code == 202, made.text
        link = made.headers["location"]

        def run() -> dict[str, Any]:
            return dict(client.get(link, headers=headers).json())

        killed_mid_run = 0
        for attempt in (1, 2):
            worker = roster.start("exports", "worker", **LEASE)
            def taken(now: dict[str, Any], attempt: int = attempt) -> bool:
                return bool(now["state"] == "succeeded" or (now["state"] == "running"
                                                            and now["attempts"] == attempt))

            assert wait_for(lambda: taken(run()), timeout=30, every=0.02)
            if run()["state"] == "succeeded":
                break
            rng = random.Random(attempt)
            wait_for(lambda: run()["rows_written"] > 0 or run()["state"] != "running",
                     timeout=rng.uniform(0.05, 0.6), every=0.02)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            killed_mid_run += run()["state"] == "running"
        roster.start("exports", "worker", **LEASE)
        assert wait_for(lambda: run()["state"] in {"succeeded", "failed"}, timeout=90)
        final = run()
        assert killed_mid_run >= 1, "no kill landed while the run was running"
        if final["state"] == "failed":
            assert final["error"]
            return
        body = client.get(final["links"]["download"], headers=headers)
        assert body.status_code == 200
        rows = list(csv.DictReader(io.StringIO(body.text)))
        assert final["attempts"] >= 2
        assert final["rows_written"] == final["rows_total"] == len(rows) == len(agents)
        expected = sorted(
            ([str(a), *(str(getattr(rebuild_service.agent(a), c)) for c in
                        ("agent_code", "status", "pan", "aadhaar"))] for a in agents),
            key=lambda r: r[1])
        assert [[r[c] for c in columns] for r in rows] == expected
        for agent in agents[:20]:
            audit = client.get(f"/v1/agents/{agent}/audit", headers=headers,
                               params={"limit": 200}).json()["items"]
            assert [e["correlation_id"] for e in audit
                    if e["type"] == "PersonalDataExported"] == [final["id"]]

    sweeper = pipeline.export_worker(
        rebuild_settings.model_copy(update={"export_lease_seconds": 2}), rebuild_service)
    try:
        wait_for(lambda: sweeper.sweep() >= 0 and len(list(
            sweeper.config.folder.iterdir())) == 1, timeout=10, every=0.5)
        assert [p.name for p in sweeper.config.folder.iterdir()] == \
               [f"{final['id']}.{final['attempts']}.csv"]
    finally:
        sweeper.view.close()
        sweeper.registry.close()
