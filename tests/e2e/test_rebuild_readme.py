"""The README's rebuild block, run exactly as written against `roster dev`: every projection
rebuilt into generation 2 while the service runs, the status listing them, and the operations
page showing them live and caught up."""

from __future__ import annotations

import json
import os
import subprocess

from tests.e2e.dev import ROOT, Dev
from tests.e2e.test_quickstart import README, section

PROJECTIONS = {"agent_profile", "agent_summary", "audit_log", "dashboard", "hierarchy",
               "notifications", "timeline"}


def test_the_readme_rebuild_block_works_against_roster_dev(dev: Dev) -> None:
    block = section(README.read_text(), "<!-- rebuild -->\n```bash\n", "```\n<!-- /rebuild -->")
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=ROOT, timeout=300,
                         env={**os.environ, "ROSTER_DATA_DIR": str(dev.data_dir)},
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(run.stdout)
    assert run.returncode == 0, run.stdout
    lines = run.stdout.strip().splitlines()
    assert {f"{name}: generation 2 is live" for name in PROJECTIONS} <= set(lines)
    status = [line.split() for line in lines if line.split()[3:4] == ["live"]]
    assert {(row[0], row[1]) for row in status} == {(name, "2") for name in PROJECTIONS}
    page = json.loads(lines[-1])
    assert {p["projection"] for p in page["projections"]} == PROJECTIONS
    assert all(p["live"]["generation"] == 2 and p["rebuild"] is None
               for p in page["projections"])
    assert page["log_head"] > 500 * 5
