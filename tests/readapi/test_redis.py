"""Redis holds copies only: with it down the same answers come from PostgreSQL, and once it is
back the documents changed meanwhile are copied again from the marks left by the events."""

from __future__ import annotations

import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from commands import models as cmd
from commands.service import AgentService
from projections import cache_marks
from roster import pipeline
from roster.settings import Settings, Store
from tests.readapi.agents import APPROVER, onboard
from tests.readapi.conftest import Models

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres,
              pytest.mark.parametrize("read_settings", [Store.POSTGRES], indirect=True)]


def answers(client: TestClient, headers: dict[str, str], agent: object) -> list[Any]:
    """What the cached endpoints say about `agent`."""
    paths = [f"/v1/agents/{agent}", f"/v1/agents/{agent}/hierarchy", "/v1/dashboard"]
    responses = [client.get(p, headers=headers) for p in paths]
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    return [r.json() for r in responses]


def test_with_redis_down_the_answers_come_from_postgres_and_refill_after(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str],
    read_settings: Settings,
) -> None:
    boss = onboard(write)
    agent = onboard(write, boss)
    models.catch_up()
    before = answers(client, viewer, agent)
    redis_client = redis.Redis.from_url(read_settings.redis_url)
    assert redis_client.exists(f"{read_settings.redis_prefix}:{cache_marks.profile_key(agent)}")

    subprocess.run(["redis-cli", "shutdown", "nosave"], check=False, capture_output=True)
    try:
        write.suspend(agent, cmd.Decide(reason="review"), APPROVER)
        models.catch_up()
        with_redis_down = answers(client, viewer, agent)
    finally:
        subprocess.run([ROOT / "scripts" / "services.sh", "up"], check=True,
                       capture_output=True)
    assert with_redis_down[0]["status"] == "SUSPENDED"
    assert with_redis_down[1] == before[1]

    refresh = pipeline.redis_refresh(read_settings, pipeline.projections())
    assert refresh is not None
    with closing(refresh):
        assert refresh.sync() > 0
    key = f"{read_settings.redis_prefix}:{cache_marks.profile_key(agent)}"
    assert redis_client.get(key) is not None, "the suspension's mark refilled Redis"
    assert b'"SUSPENDED"' in (redis_client.get(key) or b"")
    assert answers(client, viewer, agent) == with_redis_down
