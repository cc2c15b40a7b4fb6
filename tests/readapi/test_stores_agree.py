"""The two stores agree: one event log feeds read models on PostgreSQL and on SQLite, and every
read route answers byte for byte the same on both (search with typos included)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from commands import models as cmd
from roster import demo, pipeline
from roster.settings import Settings, Store, Transport
from roster.wiring import read_api
from tests.conftest import make_settings, postgres_schema, service_on
from tests.readapi.agents import CLERK, move
from tests.readapi.conftest import bearer
from webkit.auth import Role

pytestmark = pytest.mark.postgres


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Settings, Settings]]:
    """Settings of SQLite (which also holds the event store) and of a PostgreSQL schema."""
    tag = uuid.uuid4().hex[:12]
    lite = make_settings(store=Store.SQLITE, data_dir=tmp_path / "data",
                         transport=Transport.LOG)
    postgres = make_settings(store=Store.POSTGRES, postgres_schema=f"test_{tag}",
                             transport=Transport.LOG, redis_prefix=f"test-{tag}")
    with postgres_schema(postgres):
        yield lite, postgres


class TestBothStoresAnswerAlike:
    """A population written once, read through both stores."""

    def test_every_read_route_answers_the_same(self, stores: tuple[Settings, Settings]) -> None:
        lite, postgres = stores
        with service_on(lite) as write:
            demo.fill(write, 120, seed=11, first=1, advance=lambda _: None)
            with closing(pipeline.in_process_feed(lite, pipeline.projections(), write)) as feed:
                feed.catch_up()
            agents = self._codes_order(lite)
            move(write, agents[40], agents[3])
            write.update(agents[40], cmd.UpdateAgent(last_name="Kulkarni-Rao"), CLERK)
            for settings in stores:
                chosen = pipeline.projections()
                with closing(pipeline.in_process_feed(settings, chosen, write)) as feed:
                    feed.poll()
        typo = 0
        with TestClient(read_api(lite)) as on_sqlite, TestClient(read_api(postgres)) as on_pg:
            for path, params in self._reads(agents):
                headers = bearer(lite, Role.AUDITOR)
                a = on_sqlite.get(path, params=params, headers=headers)
                b = on_pg.get(path, params=params, headers=headers)
                assert a.status_code == b.status_code == 200, (path, params, a.text, b.text)
                assert a.json() == b.json(), (path, params)
                assert a.headers["X-Read-Position"] == b.headers["X-Read-Position"]
                if params.get("q") == "kulkarmi":
                    typo = len(a.json()["items"])
        assert typo > 0, "the misspelt search found agents on both stores"

    def _codes_order(self, settings: Settings) -> list[UUID]:
        """The agents' ids in the order of their codes."""
        database = pipeline.serving(settings)
        rows = database.run(lambda cur: cur.execute(
            "SELECT agent_id FROM agent_summary ORDER BY agent_code").fetchall())
        database.close()
        return [agent for (agent,) in rows]

    def _reads(self, agents: list[UUID]) -> Iterator[tuple[str, dict[str, Any]]]:
        for q in ("kulkarni", "kulkarmi", "kulkrni", "meera", "AG-00000", "rao", "shetty iyer"):
            yield "/v1/agents", {"q": q, "limit": 200}
        for sort in ("agent_code", "name", "-onboarded_at"):
            yield "/v1/agents", {"sort": sort, "limit": 50, "status": "ACTIVE"}
        yield "/v1/agents", {"region": "WEST", "agent_type": "INDIVIDUAL", "limit": 200}
        yield "/v1/agents", {"license_expiring_within_days": 120, "limit": 200}
        yield "/v1/agents", {"manager_id": str(agents[3]), "limit": 200}
        for agent in agents[::7]:
            yield f"/v1/agents/{agent}", {}
            yield f"/v1/agents/{agent}/timeline", {}
            yield f"/v1/agents/{agent}/hierarchy", {}
            yield f"/v1/agents/{agent}/subtree", {"max_depth": 3}
            yield f"/v1/agents/{agent}/audit", {}
        yield "/v1/dashboard", {}
        yield "/v1/notifications", {"limit": 200}
        yield "/v1/lookups/regions", {}
