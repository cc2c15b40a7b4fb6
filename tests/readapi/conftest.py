"""Fixtures for the read API: the write side, read models fed from the log, and an HTTP client
on the read API, each on both stores: real PostgreSQL with Redis, and SQLite.

Every read-model and read-API test here runs once per store (the parity suite): the same
test, the same answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from commands.service import AgentService
from consumers.export import ExportWorker
from roster import pipeline
from roster.settings import Settings, Store, Transport
from roster.wiring import read_api
from tests.conftest import make_settings, postgres_schema, service_on
from webkit.auth import Role, issue_token

STORES = [pytest.param(Store.POSTGRES, marks=pytest.mark.postgres, id="postgres"),
          pytest.param(Store.SQLITE, id="sqlite")]
"""The two settings every test of the parity suite runs with."""


@pytest.fixture(params=STORES)
def read_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """The consumers fed straight from the log into either PostgreSQL in a schema of its own
    (with Redis keys under a prefix of their own) or SQLite files under a temporary folder."""
    tag = uuid.uuid4().hex[:12]
    made = make_settings(store=request.param, postgres_schema=f"test_{tag}",
                         data_dir=tmp_path / "data", transport=Transport.LOG,
                         redis_prefix=f"test-{tag}", read_wait_seconds=1.0)
    if made.store is Store.SQLITE:
        yield made
        return
    with postgres_schema(made):
        yield made
    client = redis.Redis.from_url(made.redis_url)
    for key in client.scan_iter(f"test-{tag}:*", count=10_000):
        client.delete(key)
    client.close()


@pytest.fixture
def write(read_settings: Settings) -> Iterator[AgentService]:
    """The application service on the test's event store."""
    with service_on(read_settings) as app:
        yield app


class Models:
    """Brings every read model (and, on PostgreSQL, its Redis documents) up to the log's head
    on demand."""

    def __init__(self, settings: Settings, write: AgentService) -> None:
        self._feed = pipeline.in_process_feed(settings, pipeline.projections(), write)

    def catch_up(self) -> None:
        """Apply every event written so far, then copy the changed documents to Redis (no-op
        on SQLite)."""
        self._feed.poll()

    def close(self) -> None:
        """Close the consumers' connections."""
        self._feed.close()


@pytest.fixture
def models(read_settings: Settings, write: AgentService) -> Iterator[Models]:
    """The read models of the test, created and empty."""
    with closing(Models(read_settings, write)) as made:
        yield made


@pytest.fixture
def client(read_settings: Settings, models: Models) -> Iterator[TestClient]:
    """An HTTP client on the read API."""
    with TestClient(read_api(read_settings), raise_server_exceptions=False) as made:
        yield made


def bearer(settings: Settings, role: Role, subject: str = "reader-1") -> dict[str, str]:
    """Headers carrying a token for `role`."""
    token = issue_token(settings.jwt_secret.get_secret_value(), subject, role, 600)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def viewer(read_settings: Settings) -> dict[str, str]:
    """Headers of a viewer."""
    return bearer(read_settings, Role.VIEWER)


@pytest.fixture
def auditor(read_settings: Settings) -> dict[str, str]:
    """Headers of an auditor."""
    return bearer(read_settings, Role.AUDITOR)


def items(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> list[Any]:
    """Every item of a paged listing, walking all its pages."""
    found: list[Any] = []
    cursor = None
    while True:
        response = client.get(path, headers=headers,
                              params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        found += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return found


@pytest.fixture
def worker(read_settings: Settings, write: AgentService) -> Iterator[ExportWorker]:
    """A worker on the test's stores (run by hand, `work_once`)."""
    made = pipeline.export_worker(read_settings, write)
    yield made
    made.view.close()
    made.registry.close()


def run_export(client: TestClient, worker: ExportWorker, headers: dict[str, str],
               **body: Any) -> dict[str, Any]:
    """Queue a run, let the worker write it; the run as answered."""
    started = client.post("/v1/exports", headers=headers, json=body)
    assert started.status_code == 202, started.text
    assert started.headers["location"] == f"/v1/exports/{started.json()['id']}"
    assert worker.work_once()
    done = client.get(started.headers["location"], headers=headers)
    assert done.status_code == 200, done.text
    return dict(done.json())
