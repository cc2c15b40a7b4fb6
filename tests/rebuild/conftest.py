"""Fixtures for rebuild jobs: a store per parameter (PostgreSQL fed through Kafka, SQLite fed
from the log), its service, and roster processes on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands.service import AgentService
from roster.settings import Settings, Store, Transport
from tests.conftest import kafka_topic, make_settings, postgres_schema, service_on
from tests.pipeline.conftest import Roster


@pytest.fixture(params=[pytest.param(Store.POSTGRES, marks=[pytest.mark.postgres,
                                                            pytest.mark.kafka]),
                        Store.SQLITE],
                ids=["postgres-kafka", "sqlite-log"])
def rebuild_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """PostgreSQL with a topic of its own (3 partitions), or SQLite with the consumers fed
    from the log; small batches, so a rebuild has many transactions to be killed between."""
    tag = uuid.uuid4().hex[:12]
    store: Store = request.param
    made = make_settings(store=store, data_dir=tmp_path / "data",
                         postgres_schema=f"test_{tag}", kafka_topic=f"test-{tag}",
                         kafka_partitions=3, consumer_group=f"test-{tag}",
                         consumer_session_timeout_ms=6000, relay_batch=200, consumer_batch=200,
                         transport=Transport.KAFKA if store is Store.POSTGRES
                         else Transport.LOG)
    if store is Store.POSTGRES:
        with postgres_schema(made), kafka_topic(made):
            yield made
    else:
        yield made


@pytest.fixture
def rebuild_service(rebuild_settings: Settings) -> Iterator[AgentService]:
    """The application service on the store of `rebuild_settings`."""
    with service_on(rebuild_settings) as app:
        yield app


@pytest.fixture
def roster(rebuild_settings: Settings, tmp_path: Path) -> Iterator[Roster]:
    """A launcher of roster processes on `rebuild_settings`."""
    launcher = Roster(rebuild_settings, tmp_path)
    yield launcher
    launcher.stop_all()
