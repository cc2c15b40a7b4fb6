"""The README's audit block, run exactly as written against `roster dev`: an agent as of a past
moment and of a version, the changes since, a snapshot of that moment queried through the read
API, and every read model verified against the log."""

from __future__ import annotations

import json

from projections.catalog import PROJECTIONS
from tests.e2e.dev import Dev, readme_block


def test_the_readme_audit_block_works_against_roster_dev(dev: Dev) -> None:
    lines = dev.shell(readme_block("audit")).strip().splitlines()
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
    assert {line.split(":")[0] for line in verdicts} == set(PROJECTIONS)
    assert all(": OK — " in line for line in verdicts), verdicts
