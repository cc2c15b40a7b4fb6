"""Rate limits with the operators' defaults: per caller in memory on the embedded default,
shared through Redis by API processes beside PostgreSQL, served uncounted when Redis is down."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from roster.settings import Settings, Store
from roster.wiring import read_api, write_api
from tests.conftest import make_settings, postgres_schema, service_on
from tests.pipeline.conftest import Roster, free_port
from tests.pipeline.workload import wait_for
from tests.readapi.conftest import Models, bearer
from webkit.auth import Role


def limited(settings: Settings) -> Settings:
    """`settings` with the rate limits on, at their defaults."""
    return settings.model_copy(update={"rate_limits": True})


def test_the_61st_search_in_a_minute_is_refused_with_the_headers(
        read_settings: Settings, models: Models) -> None:
    settings = limited(read_settings)
    assert settings.rate_limit_search == "60/minute"
    viewer, other = bearer(settings, Role.VIEWER), bearer(settings, Role.VIEWER, "reader-2")
    with TestClient(read_api(settings)) as client:
        answers = [client.get("/v1/agents", headers=viewer) for _ in range(60)]
        assert [a.status_code for a in answers] == [200] * 60
        assert [a.headers["ratelimit-remaining"] for a in answers[-2:]] == ["1", "0"]
        assert answers[0].headers["ratelimit-limit"] == "60"
        refused = client.get("/v1/agents", headers=viewer)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "rate_limited"
        assert refused.headers["ratelimit-remaining"] == "0"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]
        assert client.get("/v1/agents", headers=other).status_code == 200
        assert client.get("/v1/dashboard", headers=viewer).status_code == 200
        for _ in range(100):
            assert client.get("/health/live").status_code == 200
        metrics = client.get("/metrics").text
        assert 'roster_rate_limited_total{rule="search"} 1.0' in metrics


def test_export_runs_and_the_hr_webhook_have_their_own_limits(
        read_settings: Settings, models: Models) -> None:
    settings = limited(read_settings)
    viewer = bearer(settings, Role.VIEWER)
    with TestClient(read_api(settings)) as client:
        runs = [client.post("/v1/exports", headers=viewer, json={"definition": {}})
                for _ in range(11)]
        assert [r.status_code for r in runs] == [202] * 10 + [429]
    with TestClient(write_api(settings.model_copy(update={"rate_limit_webhook": "3/minute"}))
                    ) as client:
        sent = [client.post("/v1/webhooks/hrms", content=b"{}") for _ in range(4)]
        assert [r.status_code for r in sent][-1] == 429
        assert all(r.status_code != 429 for r in sent[:3])


@pytest.fixture
def shared_settings(tmp_path: Path) -> Iterator[Settings]:
    """PostgreSQL and Redis, rate limits on, keys of the test's own."""
    tag = uuid.uuid4().hex[:12]
    made = make_settings(store=Store.POSTGRES, postgres_schema=f"test_{tag}",
                         data_dir=tmp_path / "data", redis_prefix=f"test-{tag}",
                         rate_limits=True, transport="log")
    with postgres_schema(made):
        with service_on(made) as write, closing(Models(made, write)) as models:
            models.catch_up()
        yield made


def _serving(roster: Roster, port: int) -> None:
    roster.start("readapi", "--port", str(port))
    assert wait_for(lambda: _up(port), timeout=30)


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/live").status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.postgres
def test_two_api_processes_share_the_count_through_redis(
        shared_settings: Settings, tmp_path: Path) -> None:
    roster = Roster(shared_settings, tmp_path)
    try:
        ports = [free_port(), free_port()]
        for port in ports:
            _serving(roster, port)
        viewer = bearer(shared_settings, Role.VIEWER)
        codes = [httpx.get(f"http://127.0.0.1:{ports[n % 2]}/v1/agents", headers=viewer
                           ).status_code for n in range(61)]
        assert codes == [200] * 60 + [429]
    finally:
        roster.stop_all()


@pytest.mark.postgres
def test_with_redis_down_requests_are_served_uncounted(
        shared_settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL)
    settings = shared_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0",
                                                  "rate_limit_search": "5/minute"})
    try:
        viewer = bearer(settings, Role.VIEWER)
        with TestClient(read_api(settings)) as client:
            assert wait_for(lambda: client.get("/v1/dashboard", headers=viewer
                                               ).headers.get("ratelimit-limit") == "1200")
            counted = [client.get("/v1/agents", headers=viewer) for _ in range(6)]
            assert [r.status_code for r in counted] == [200] * 5 + [429]
            redis.kill()
            redis.wait()
            time.sleep(0.1)
            served = [client.get("/v1/agents", headers=viewer) for _ in range(10)]
            assert [r.status_code for r in served] == [200] * 10
            assert "ratelimit-limit" not in served[-1].headers
            metrics = client.get("/metrics").text
            assert "roster_rate_limit_storage_failures_total" in metrics
            failures = [line for line in metrics.splitlines()
                        if line.startswith("roster_rate_limit_storage_failures_total ")]
            assert float(failures[0].split()[1]) >= 1
    finally:
        redis.kill()
        redis.wait()
