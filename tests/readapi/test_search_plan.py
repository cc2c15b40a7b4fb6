"""A name search on PostgreSQL tries a bounded walk in page order before the trigram index:
every page it answers, either way, is the page the one plain query answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from commands.service import AgentService
from projections import search
from projections.agent_summary import AgentSummary
from projections.db import Cursor
from roster import pipeline
from roster.settings import Settings, Store, Transport
from tests.conftest import make_settings, postgres_schema, service_on
from tests.readapi.agents import onboard
from tests.readapi.conftest import Models

pytestmark = pytest.mark.postgres

LAST = ["Kulkarni", "Iyer", "Rao", "Kulkarmi", "Shetty", "Reddy", "Kulkarni-Rao"]
TODAY = date(2026, 1, 1)


@pytest.fixture
def populated(tmp_path: Path) -> Iterator[Settings]:
    """Sixty agents of seven last names in two regions, in the read models."""
    tag = uuid.uuid4().hex[:12]
    made = make_settings(store=Store.POSTGRES, postgres_schema=f"test_{tag}",
                         data_dir=tmp_path / "data", transport=Transport.LOG)
    with postgres_schema(made):
        with service_on(made) as write, closing(Models(made, write)) as models:
            _populate(write)
            models.catch_up()
        yield made


def _populate(write: AgentService) -> None:
    for n in range(60):
        onboard(write, last_name=LAST[n * 5 % len(LAST)],
                region="WEST" if n % 3 else "EAST")


def _pages(cur: Cursor, filters: search.Filters, limit: int,
           answer: Any) -> list[list[str]]:
    """Every page of a search, walked by its cursor, as agent codes."""
    pages: list[list[str]] = []
    after = None
    for _ in range(100):
        rows: list[AgentSummary] = answer(cur, filters, after, limit + 1)
        pages.append([r.agent_code for r in rows[:limit]])
        if len(rows) <= limit:
            return pages
        after = search.key_of(rows[limit - 1], search.Sort.AGENT_CODE)
    raise AssertionError(f"no last page after 100 pages of {limit}")


def _planned(cur: Cursor, filters: search.Filters, after: list[Any] | None,
             limit: int) -> list[AgentSummary]:
    return search.search(cur, filters, search.Sort.AGENT_CODE, after, limit, TODAY)


def _plain(cur: Cursor, filters: search.Filters, after: list[Any] | None,
           limit: int) -> list[AgentSummary]:
    cur.execute(*search.query(filters, search.Sort.AGENT_CODE, after, limit, TODAY))
    return [AgentSummary(*row) for row in cur.fetchall()]


@pytest.mark.parametrize("walk", [1, 7, 4000])
def test_every_page_of_a_name_search_is_the_plain_querys(
    populated: Settings, walk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "WALK_ROWS", walk)
    database = pipeline.serving(populated)
    walked = 0
    try:
        for q in ("kulkarni", "kulkarmi", "kulkrni", "iyer", "ra", "zzz", "rao shetty"):
            for region in (None, "WEST", "EAST"):
                for limit in (1, 2, 5, 50):
                    filters = search.Filters(q=q, region=region)
                    planned = database.run(partial(_pages, filters=filters, limit=limit,
                                                   answer=_planned))
                    plain = database.run(partial(_pages, filters=filters, limit=limit,
                                                 answer=_plain))
                    assert planned == plain, (q, region, limit)
                    walked += sum(len(p) == limit for p in planned)
    finally:
        database.close()
    assert walked > 0, "some pages were full"
