"""Fixtures shared by every test layer: settings for each store, the service, the write API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
import pytest
from kafka import KafkaAdminClient
from kafka.errors import KafkaError
from pydantic import SecretStr

from commands.service import AgentService
from roster.settings import Settings, Store
from tests.builders import TODAY


def make_settings(**fields: Any) -> Settings:
    """Settings with `fields` and the secrets every test uses (tokens signed with the shared
    secret on either store); rate limits off unless `fields` turn them on (their own tests
    do)."""
    return Settings(jwt_secret=_secret("jwt"), hrms_secret=_secret("hrms"),
                    encryption_key=_secret("encryption"),
                    **{"rate_limits": False, "allow_hs256": True, **fields})


def _secret(name: str) -> SecretStr:
    return SecretStr(f"test-{name}-secret-of-at-least-32-characters")


@contextmanager
def postgres_schema(settings: Settings) -> Iterator[None]:
    dsn = settings.postgres_conninfo()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{settings.postgres_schema}"')
    yield
    drop_schemas(settings)


@contextmanager
def kafka_topic(settings: Settings) -> Iterator[None]:
    """Delete the settings' topic (made on first use) after the block: the broker keeps only
    the topics of running tests, and restarts in seconds."""
    yield
    with suppress(KafkaError, OSError):
        admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                 request_timeout_ms=10_000)
        try:
            admin.delete_topics([settings.kafka_topic])
        finally:
            admin.close()


def drop_schemas(settings: Settings) -> None:
    """Drop the schema of `settings` and the schemas of its read-model generations."""
    base = settings.postgres_schema
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
        found = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname = %s "
                             "OR starts_with(nspname, %s)", (base, f"{base}__")).fetchall()
        for (schema,) in found:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=[Store.SQLITE, pytest.param(Store.POSTGRES, marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, empty store: SQLite under a temporary folder, or PostgreSQL in a
    schema of its own (dropped afterwards)."""
    store: Store = request.param
    made = make_settings(store=store, data_dir=tmp_path / "data",
                         postgres_schema=f"test_{uuid.uuid4().hex[:12]}")
    if store is Store.POSTGRES:
        with postgres_schema(made):
            yield made
    else:
        yield made


@contextmanager
def service_on(settings: Settings) -> Iterator[AgentService]:
    """The application service on the event store of `settings`, with `TODAY` as the date,
    closed afterwards."""
    app = AgentService(settings.event_store_env(), settings.index_key, today=lambda: TODAY)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def service(settings: Settings) -> Iterator[AgentService]:
    """The application service on the fixture's store, with `TODAY` as the date."""
    with service_on(settings) as app:
        yield app
