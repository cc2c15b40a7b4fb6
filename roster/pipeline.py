"""Wiring of the event pipeline: relay, consumers on Kafka or the log, dead letters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import redis

from commands.service import AgentService
from consumers import log_feed
from consumers.applier import Applier, RetryPolicy
from consumers.database import Database, PostgresDatabase, SqliteDatabase
from consumers.kafka_feed import KafkaFeed
from consumers.kafka_io import Publisher, ensure_topic
from consumers.lease import Lease
from consumers.log import EventLog
from consumers.log_feed import LogFeed
from consumers.redis_refresh import RedisRefresh
from consumers.relay import Relay
from projections.catalog import CACHED, PROJECTIONS
from projections.projection import Projection
from projections.redis_documents import DocumentCache
from projections.sqlite import SqliteStore
from roster.settings import Settings, Store
from roster.wiring import agent_service


def projections(names: Sequence[str] = ()) -> list[Projection]:
    """The named projections, or all of them; an unknown name raises `KeyError`."""
    return [PROJECTIONS[name]() for name in (names or PROJECTIONS)]


def database(settings: Settings) -> Database:
    """The read-model database of the chosen store (one SQLite file under the data folder)."""
    if settings.store is Store.SQLITE:
        return SqliteDatabase(SqliteStore(settings.read_models_path))
    return PostgresDatabase(settings.read_models_conninfo())


def appliers(settings: Settings, chosen: Sequence[Projection], source: str) -> list[Applier]:
    """One applier per projection, each on a connection of its own, its tables created."""
    policy = RetryPolicy(attempts=settings.dead_letter_attempts)
    made = [Applier(database(settings), p, source, policy) for p in chosen]
    for applier in made:
        applier.create()
    return made


def relay(settings: Settings) -> Relay:
    """The relay from the event store to the topic, which it creates if missing."""
    ensure_topic(settings.kafka_bootstrap, settings.kafka_topic, settings.kafka_partitions)
    publisher = Publisher(settings.kafka_bootstrap, settings.kafka_topic)
    lease = Lease(settings.read_models_conninfo(), f"roster.relay.{settings.kafka_topic}")
    return Relay(EventLog(agent_service(settings)), lease, publisher.publish,
                 settings.kafka_topic, settings.relay_batch)


def document_cache(settings: Settings) -> DocumentCache:
    """The Redis documents of these settings (connecting lazily)."""
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2,
                                  socket_connect_timeout=2)
    return DocumentCache(client, settings.redis_prefix)


def redis_refresh(settings: Settings, chosen: Sequence[Projection]) -> Callable[[], int]:
    """What to run after each poll: copy changed documents to Redis when `chosen` has any
    (never on SQLite, which has no Redis beside it)."""
    if settings.store is Store.SQLITE or not CACHED & {p.name for p in chosen}:
        return lambda: 0
    return RedisRefresh(settings.read_models_conninfo(), document_cache(settings)).sync


def kafka_feed(settings: Settings, chosen: Sequence[Projection], group: str) -> KafkaFeed:
    """A consumer-group member feeding `chosen` from the topic (created if missing)."""
    ensure_topic(settings.kafka_bootstrap, settings.kafka_topic, settings.kafka_partitions)
    made = appliers(settings, chosen, settings.kafka_topic)
    return KafkaFeed(settings.kafka_bootstrap, settings.kafka_topic, group, made,
                     settings.consumer_batch, settings.consumer_session_timeout_ms,
                     redis_refresh(settings, chosen))


def in_process_feed(settings: Settings, chosen: Sequence[Projection],
                    service: AgentService | None = None) -> LogFeed:
    """The in-process transport feeding `chosen` straight from the event store's log (read
    through `service`, or through one built from the settings)."""
    made = appliers(settings, chosen, log_feed.SOURCE)
    return LogFeed(EventLog(service or agent_service(settings)), made, settings.consumer_batch,
                   redis_refresh(settings, chosen))


def relay_check(settings: Settings, relay: Relay) -> tuple[bool, dict[str, Any]]:
    """Ready when standing by, or when publishing with the log's head within reach."""
    if not relay.active:
        return True, {"role": "standby"}
    age = (datetime.now(UTC) - relay.last_success).total_seconds()
    return age <= settings.max_lag_seconds, {"role": "active", "lag": relay.lag,
                                             "seconds_since_success": round(age, 3)}


def feed_check(settings: Settings, feed: KafkaFeed) -> tuple[bool, dict[str, Any]]:
    """Ready when polling and no projection is further behind than `max_lag_seconds`."""
    polling = (datetime.now(UTC) - feed.last_poll).total_seconds() <= settings.max_lag_seconds
    ready = polling and all(age <= settings.max_lag_seconds for age in feed.lag_seconds.values())
    return ready, {"partitions": sorted(feed.assigned), "lag_messages": sum(feed.lag.values()),
                   "lag_seconds": {k: round(v, 3) for k, v in feed.lag_seconds.items()}}
