"""`roster demo-data`'s population: written through the real commands on either store, with
an eight-level hierarchy, spread license expiries and a mix of statuses in the read models."""

from __future__ import annotations

from collections import Counter
from contextlib import closing
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from commands.service import AgentService
from roster import demo, pipeline
from roster.settings import Settings
from tests.builders import TODAY


@given(st.integers(demo.LEVELS, 200_000))
def test_level_sizes_fill_eight_levels_with_exactly_the_agents_asked_for(agents: int) -> None:
    sizes = demo.level_sizes(agents)
    assert len(sizes) == demo.LEVELS
    assert sum(sizes) == agents
    assert all(size >= 1 for size in sizes)
    assert sizes[:-1] == sorted(sizes[:-1])


def test_demo_data_builds_an_eight_level_hierarchy_with_spread_expiries(
    settings: Settings, service: AgentService
) -> None:
    advanced: list[int] = []
    fates = demo.fill(service, 150, seed=3, first=1, advance=advanced.append)
    assert sum(advanced) == 150
    assert sum(fates.values()) == 150
    with closing(pipeline.in_process_feed(settings, pipeline.projections(), service)) as feed:
        feed.catch_up()

    database = pipeline.serving(settings)
    paths = database.run(lambda cur: cur.execute("SELECT path FROM hierarchy").fetchall())
    summary = database.run(lambda cur: cur.execute(
        "SELECT status, next_expiry, region, office_code FROM agent_summary").fetchall())
    database.close()
    assert max(len(path) for (path,) in paths) == demo.LEVELS
    assert Counter(status for status, *_ in summary) == {f.value: n for f, n in fates.items()}
    expiries = [expiry for _, expiry, *_ in summary if expiry is not None]
    assert len(set(expiries)) > 100, "expiries spread over many dates"
    assert min(expiries) <= TODAY + timedelta(days=60)
    assert max(expiries) >= TODAY + timedelta(days=2 * 365)
    assert len({region for *_, region, _ in summary}) == len(demo.OFFICES)
    assert len({office for *_, office in summary}) > 15
