"""The README's audit block, run exactly as written against `roster dev`: an agent as of a past
moment and of a version, the changes since, a snapshot of that moment queried through the read
API, and every read model verified against the log."""

from __future__ import annotations

import json
import os
import subprocess

from tests.e2e.dev import ROOT, Dev
from tests.e2e.test_quickstart import README, section

PROJECTIONS = {"agent_profile", "agent_summary", "audit_log", "dashboard", "hierarchy",
               "notifications", "timeline"}


def test_the_readme_audit_block_works_against_roster_dev(dev: Dev) -> None:
    block = section(README.read_text(), "<!-- audit -->\n```bash\n", "```\n<!-- /audit -->")
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=ROOT, timeout=300,
                         env={**os.environ, "ROSTER_DATA_DIR": str(dev.data_dir)},
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(run.stdout)
    assert run.returncode == 0, run.stdout
    lines = run.stdout.strip().splitlines()
    answers = [json.loads(line) for line in lines if line.startswith("{")]
    at_quarter_end, first, changes, active, dashboard, listed = answers

    assert (at_quarter_end["version"], at_quarter_end["event"]["type"]) == (3, "Approved")
    assert at_quarter_end["state"]["status"] == "ACTIVE"
    assert at_quarter_end["state"]["office_code"] == "MUM01"
    assert at_quarter_end["state"]["pan"] == "XXXXX4242X"
    assert (first["state"]["status"], first["event"]["actor"]) == ("PENDING_APPROVAL", "asha")

    changed = {c["field"]: (c["before"], c["after"]) for c in changes["changes"]}
    assert changed == {"office_code": ("MUM01", "PUN01"), "status": ("ACTIVE", "SUSPENDED")}
    assert [(e["type"], e["reason"]) for e in changes["events"]] == [
        ("ProfileUpdated", None), ("Suspended", "documents under review")]

    assert [a["agent_code"] for a in active["items"]] == ["AG-0042"]
    assert dashboard["by_status"] == {"ACTIVE": 1}
    assert [(s["name"], s["created_by"]) for s in listed["items"]] == [("q-end", "ada")]

    verdicts = [line for line in lines if " — live generation " in line]
    assert {line.split(":")[0] for line in verdicts} == PROJECTIONS
    assert all(": OK — " in line for line in verdicts), verdicts
