"""The README's rebuild block, run exactly as written against `roster dev`: every projection
rebuilt into generation 2 while the service runs, the status listing them, and the operations
page showing them live and caught up."""

from __future__ import annotations

import json

from projections.catalog import PROJECTIONS
from tests.e2e.dev import Dev, readme_block


def test_the_readme_rebuild_block_works_against_roster_dev(dev: Dev) -> None:
    lines = dev.shell(readme_block("rebuild")).strip().splitlines()
    assert {f"{name}: generation 2 is live" for name in PROJECTIONS} <= set(lines)
    status = [line.split() for line in lines if line.split()[3:4] == ["live"]]
    assert {(row[0], row[1]) for row in status} == {(name, "2") for name in PROJECTIONS}
    page = json.loads(lines[-1])
    assert {p["projection"] for p in page["projections"]} == set(PROJECTIONS)
    assert all(p["live"]["generation"] == 2 and p["rebuild"] is None
               for p in page["projections"])
    assert page["log_head"] > 500 * 5
