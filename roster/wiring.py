"""The one place each entry point is wired from the settings."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import redis.asyncio
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI
from psycopg_pool import ConnectionPool

from commands.service import AgentService
from consumers.log import EventLog
from projections.envelope import Envelope
from projections.redis_documents import AsyncDocumentCache
from projections.sqlite import ServingFiles
from readapi.app import create_app as create_read_app
from readapi.config import ReadApiConfig
from readapi.errors import EventStoreUnavailable
from readapi.readers import PostgresReader, SqliteReader, configure
from readapi.store import ReadStore
from roster import logs, tracing
from roster.settings import Settings, Store
from webkit.auth import Verifier
from webkit.rate_limits import RateLimitConfig, Rule
from writeapi.app import create_app
from writeapi.config import WriteApiConfig


def agent_service(settings: Settings) -> AgentService:
    """The application service on the event store the settings choose."""
    return AgentService(settings.event_store_env(), settings.index_key)


def verifier(settings: Settings) -> Verifier:
    """The token checks the settings ask for: the public keys of the JWKS file when there is
    one, else the shared secret and the previous ones; the maximum age and the clock
    leeway."""
    if settings.jwks_file is not None:
        return Verifier.of_jwks(settings.jwks_file.read_text(), settings.jwt_max_age_seconds,
                                settings.jwt_leeway_seconds)
    return Verifier.of(settings.jwt_secret.get_secret_value(),
                       [k.get_secret_value() for k in settings.jwt_previous_secrets],
                       settings.jwt_max_age_seconds, settings.jwt_leeway_seconds)


def rate_limits(settings: Settings) -> RateLimitConfig | None:
    """The settings' rate limits (none when turned off): counted in memory on the embedded
    default, in the settings' Redis (shared by every API process) beside PostgreSQL."""
    if not settings.rate_limits:
        return None
    storage = ("async+memory://" if settings.store is Store.SQLITE
               else "async+" + settings.redis_url)
    return RateLimitConfig(storage, (
        Rule("search", "GET", "/v1/agents", settings.rate_limit_search),
        Rule("export_runs", "POST", "/v1/exports", settings.rate_limit_exports),
        Rule("hrms_webhook", "POST", "/v1/webhooks/hrms", settings.rate_limit_webhook,
             shared=True),
    ), settings.rate_limit_default, settings.redis_prefix)


def write_api_from_env() -> FastAPI:
    """The write API from the environment's settings, with JSON logs: uvicorn's factory."""
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    tracing.configure("roster-writeapi")
    return tracing.instrument(write_api(settings))


def write_api(settings: Settings, service: AgentService | None = None) -> FastAPI:
    """The write API over `service` (built from the settings when not given, and then closed
    on shutdown)."""
    config = WriteApiConfig(
        verifier=verifier(settings),
        hrms_secret=settings.hrms_secret.get_secret_value(),
        hrms_tolerance_seconds=settings.hrms_tolerance_seconds,
        max_body_bytes=settings.max_body_bytes,
        max_batch_body_bytes=settings.max_batch_body_bytes,
        rate_limits=rate_limits(settings),
        cors_origins=settings.cors_origins,
        limits=settings.request_limits(),
    )
    if service is not None:
        return create_app(service, config)
    made = agent_service(settings)
    return create_app(made, config, made.close)


class EventStoreReads:
    """What the read API and the export worker ask of the settings' event store, opened on
    first use: the log's head (the operations page, `min_position`), one agent's history
    (audit replays), and agents' personal fields in full (auditors' exports)."""

    def __init__(self, settings: Settings, service: AgentService | None) -> None:
        self._settings = settings
        self._service = service
        self._owned: AgentService | None = None
        self._log = None if service is None else EventLog(service)

    def _opened(self) -> AgentService:
        if self._service is None:
            self._service = self._owned = agent_service(self._settings)
        return self._service

    def close(self) -> None:
        """Close the service opened on first use (one given is its owner's to close)."""
        if self._owned is not None:
            self._owned.close()
            self._service = self._owned = None
            self._log = None

    def _events(self) -> EventLog:
        if self._log is None:
            self._log = EventLog(self._opened())
        return self._log

    def head(self) -> int:
        """The head now (0 when the store is empty); `EventStoreUnavailable` when the store
        does not answer."""
        try:
            return self._events().head()
        except (PersistenceError, OSError) as error:
            raise EventStoreUnavailable from error

    def history(self, agent_id: UUID) -> list[Envelope]:
        """The agent's events, oldest first; `EventStoreUnavailable` when the store does not
        answer."""
        try:
            return self._events().history(agent_id)
        except (PersistenceError, OSError) as error:
            raise EventStoreUnavailable from error

    def personal(self, agents: Sequence[tuple[UUID, int]]) -> dict[UUID, dict[str, str | None]]:
        """Each of `agents` (id, version) with its personal fields in full, as of that
        version (`erased` once erased)."""
        service = self._opened()
        service.data_keys.refresh(agent for agent, _ in agents)
        return {agent: service.personal_data(agent, version) for agent, version in agents}

    def erased(self) -> list[UUID]:
        """Every agent whose data key was destroyed."""
        return self._opened().data_keys.erased()


def read_api_from_env() -> FastAPI:
    """The read API from the environment's settings, with JSON logs: uvicorn's factory."""
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    tracing.configure("roster-readapi")
    return tracing.instrument(read_api(settings))


def read_api(settings: Settings, service: AgentService | None = None) -> FastAPI:
    """The read API over the read models the settings name: the live generations' SQLite
    files on the embedded default, else PostgreSQL with Redis documents. The log's head (for
    the operations page) is read through `service`, or one made on first use."""
    source, partitions = settings.tracking_source()
    reads = EventStoreReads(settings, service)
    config = ReadApiConfig(
        verifier=verifier(settings),
        source=source,
        partitions=partitions,
        wait_seconds=settings.read_wait_seconds,
        max_waiting=settings.read_max_waiting,
        log_head=reads.head,
        history=reads.history,
        close_event_store=reads.close,
        exports_dir=settings.export_folder,
        rate_limits=rate_limits(settings),
        cors_origins=settings.cors_origins,
        limits=settings.request_limits(),
    )
    if settings.store is Store.SQLITE:
        reader = SqliteReader(ServingFiles(settings.read_models_path))
        return create_read_app(ReadStore(reader, None, config))
    pool = ConnectionPool(settings.read_models_conninfo(), min_size=2,
                          max_size=settings.postgres_pool_size + settings.postgres_max_overflow,
                          kwargs={"autocommit": True}, configure=configure, open=True)
    cache = AsyncDocumentCache(redis.asyncio.Redis.from_url(
        settings.redis_url, socket_timeout=1, socket_connect_timeout=1), settings.redis_prefix)
    return create_read_app(ReadStore(PostgresReader(pool, settings.postgres_schema), cache,
                                     config))
