"""The README's quickstart, run exactly as written against `roster dev`: its block in a shell,
its printed output compared with what the README says it prints (ids and times aside), and
Ctrl-C stopping the service cleanly."""

from __future__ import annotations

import json
import re

from tests.e2e.dev import README, Dev, section

VARYING = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                     r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00")
"""Agent ids and event times: the parts of the output that differ from run to run."""


def quickstart() -> tuple[str, str]:
    """The README's quickstart commands, and the output it says they print."""
    text = README.read_text()
    block = section(text, "<!-- quickstart -->\n```bash\n", "```\n<!-- /quickstart -->")
    printed = section(text, "What it prints (ids and times will differ):\n\n```\n", "```\n")
    return block, printed


def normalised(output: str) -> list[str]:
    """`output`'s lines with ids and times replaced by placeholders."""
    return [VARYING.sub("…", line) for line in output.strip().splitlines()]


def test_the_readme_quickstart_works_as_printed_and_ctrl_c_stops_roster_dev(dev: Dev) -> None:
    banner = "\n".join(dev.lines)
    assert "write API  http://127.0.0.1:8000" in banner
    assert "read API   http://127.0.0.1:8001" in banner
    assert all(f"    {role} " in banner for role in ("clerk", "approver", "auditor", "viewer"))

    block, printed = quickstart()
    output = dev.shell(block, timeout=120)
    assert normalised(output) == normalised(printed)
    found, timeline, hierarchy = (json.loads(line) for line in output.splitlines()[-3:])
    assert [a["status"] for a in found["items"]] == ["ACTIVE"]
    assert [e["type"] for e in timeline["items"]] == ["Approved", "LicenseAdded", "Onboarded"]
    assert hierarchy["agent_id"] == found["items"][0]["agent_id"]

    assert dev.interrupt() == 0
    assert dev.lines[-1] == "roster dev: stopped"
