"""Wiring of the event pipeline: relay, consumers on Kafka or the log, dead letters."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import redis

from commands.service import AgentService
from consumers import tracking
from consumers.applier import Applier, RetryPolicy
from consumers.database import Database, PostgresDatabase, SqliteServing
from consumers.export import ExportWorker, WorkerConfig
from consumers.export_view import PostgresView, SqliteView, View
from consumers.generations import (
    Generations,
    Handover,
    PostgresGenerations,
    SqliteGenerations,
)
from consumers.kafka_feed import KafkaFeed
from consumers.kafka_io import Publisher, ensure_topic
from consumers.lease import Lease
from consumers.log import EventLog
from consumers.log_feed import LogFeed
from consumers.rebuild import PAGE, Rebuild, RebuildUnderWay, Report
from consumers.redis_refresh import RedisRefresh
from consumers.relay import Relay
from consumers.snapshot import Snapshots
from consumers.verify import Verification
from consumers.wakeup import LogWakeup
from projections import generations as generations_registry
from projections.catalog import CACHED, PROJECTIONS
from projections.generations import Generation, State
from projections.projection import Projection
from projections.redis_documents import DocumentCache
from projections.sqlite import ServingFiles
from roster.settings import Settings, Store
from roster.wiring import EventStoreReads, agent_service

log = logging.getLogger(__name__)


def projections(names: Sequence[str] = ()) -> list[Projection]:
    """The named projections, or all of them; an unknown name raises `KeyError`."""
    return [PROJECTIONS[name]() for name in (names or PROJECTIONS)]


def generations(settings: Settings) -> Generations:
    """The generations of the chosen store: schemas beside the configured one on PostgreSQL,
    files in the read-models folder on SQLite."""
    if settings.store is Store.SQLITE:
        return SqliteGenerations(settings.read_models_path)
    return PostgresGenerations(settings.postgres_conninfo(), settings.postgres_schema)


def serving(settings: Settings) -> Database:
    """The read models as the read API sees them (every projection's live generation), for
    reads by tools and tests."""
    if settings.store is Store.SQLITE:
        return SqliteServing(ServingFiles(settings.read_models_path))
    return PostgresDatabase(settings.read_models_conninfo())


def export_worker(settings: Settings, service: AgentService | None = None) -> ExportWorker:
    """A worker taking export runs from the registry of the settings' read models, with the
    event store (through `service`, or one made on first use) for personal columns."""
    source, partitions = settings.tracking_source()
    config = WorkerConfig(settings.export_folder, source, partitions,
                          ttl=timedelta(seconds=settings.export_ttl_seconds),
                          lease=timedelta(seconds=settings.export_lease_seconds),
                          poll_seconds=settings.export_poll_seconds,
                          rows_per_second=settings.export_rows_per_second)
    view: View = (SqliteView(ServingFiles(settings.read_models_path))
                  if settings.store is Store.SQLITE
                  else PostgresView(settings.read_models_conninfo()))
    return ExportWorker(generations(settings).registry, view, config,
                        EventStoreReads(settings, service))


def applier(settings: Settings, store: Generations, projection: Projection,
            source: str) -> Applier:
    """An applier writing to `projection`'s live generation (made when there is none) on a
    connection of its own."""
    store.ensure_live(projection)
    policy = RetryPolicy(attempts=settings.dead_letter_attempts)
    return Applier(store.live(projection.name), projection, source, policy)


def appliers(settings: Settings, chosen: Sequence[Projection], source: str) -> list[Applier]:
    """One applier per projection, each on a connection of its own."""
    store = generations(settings)
    return [applier(settings, store, p, source) for p in chosen]


def relay(settings: Settings) -> Relay:
    """The relay from the event store to the topic, which it creates if missing; on
    PostgreSQL it wakes at each insert (its recorder's notifications)."""
    ensure_topic(settings.kafka_bootstrap, settings.kafka_topic, settings.kafka_partitions)
    publisher = Publisher(settings.kafka_bootstrap, settings.kafka_topic)
    lease = Lease(settings.read_models_conninfo(), f"roster.relay.{settings.kafka_topic}")
    service = agent_service(settings)
    channel = getattr(service.recorder, "channel_name", None)
    wakeup = LogWakeup(settings.postgres_conninfo(), channel) if channel else None
    return Relay(EventLog(service), lease, publisher.publish, settings.kafka_topic,
                 settings.relay_batch, wakeup)


def document_cache(settings: Settings) -> DocumentCache:
    """The Redis documents of these settings (connecting lazily)."""
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2,
                                  socket_connect_timeout=2)
    return DocumentCache(client, settings.redis_prefix)


def redis_refresh(settings: Settings, chosen: Sequence[Projection]) -> RedisRefresh | None:
    """What copies changed documents to Redis after each poll, when `chosen` has any (none on
    SQLite, which has no Redis beside it)."""
    cached = [p.name for p in chosen if p.name in CACHED]
    if settings.store is Store.SQLITE or not cached:
        return None
    store = generations(settings)
    return RedisRefresh([store.live(name) for name in cached], document_cache(settings))


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
    made = appliers(settings, chosen, tracking.LOG)
    return LogFeed(EventLog(service or agent_service(settings)), made, settings.consumer_batch,
                   redis_refresh(settings, chosen))


def handover(settings: Settings) -> Handover:
    """Where the live consumers of these settings read from."""
    source, partitions = settings.tracking_source()
    return Handover(source, partitions)


def rebuild(settings: Settings, store: Generations, service: AgentService | None = None,
            page: int = PAGE, keep: bool = False,
            report: Callable[[Report], None] = lambda _: None) -> Rebuild:
    """A rebuild job reading the log of the settings' event store (through `service`, or one
    built here); after each switch of a cached projection its Redis documents are removed."""
    events = EventLog(service or agent_service(settings))
    return Rebuild(events, store, handover(settings), page, keep, report,
                   partial(_forget_documents, settings))


def verification(settings: Settings, store: Generations, service: AgentService | None = None,
                 page: int = PAGE,
                 report: Callable[[Report], None] = lambda _: None) -> Verification:
    """A verification job reading the log of the settings' event store (through `service`, or
    one built here), folding through the rebuild's machinery."""
    events = EventLog(service or agent_service(settings))
    job = Rebuild(events, store, handover(settings), page, report=report)
    return Verification(events, store, handover(settings), job)


def snapshots(settings: Settings, store: Generations, service: AgentService | None = None,
              page: int = PAGE, report: Callable[[Report], None] = lambda _: None) -> Snapshots:
    """The snapshot jobs of the settings' store, reading its event store's log (through
    `service`, or one built here), folding through the rebuild's machinery."""
    events = EventLog(service or agent_service(settings))
    return Snapshots(events, store, Rebuild(events, store, handover(settings), page,
                                            report=report))


def _forget_documents(settings: Settings, generation: Generation) -> None:
    kind = CACHED.get(generation.projection)
    if settings.store is Store.SQLITE or kind is None:
        return
    try:
        removed = document_cache(settings).forget(kind)
    except redis.RedisError as error:
        log.warning("could not remove %s documents from Redis: %s", kind, error)
        return
    log.info("removed %d %s documents from Redis", removed, kind)


def outdated(settings: Settings, store: Generations,
             chosen: Sequence[Projection]) -> list[Projection]:
    """Those of `chosen` whose live generation is another version than the code's: each
    needs a rebuild, which the consumers start (its live tables wait meanwhile)."""
    live = {g.projection: g for g in store.registry.run(generations_registry.listed)
            if g.state is State.LIVE}
    return [p for p in chosen if p.name in live and live[p.name].version != p.version]


def upgrade(settings: Settings, store: Generations, chosen: Sequence[Projection],
            service: AgentService | None = None) -> threading.Thread | None:
    """Start rebuilding, in the background, those of `chosen` deployed with a new version;
    each switches when caught up, while its old generation keeps serving reads. The thread,
    if any was needed."""
    stale = outdated(settings, store, chosen)
    if not stale:
        return None
    job = rebuild(settings, store, service)

    def run() -> None:
        try:
            job.run(stale)
        except RebuildUnderWay as elsewhere:
            log.info("%s is being rebuilt by another process", elsewhere)
    thread = threading.Thread(target=run, name="rebuild", daemon=True)
    thread.start()
    log.info("rebuilding %s for their new version", ", ".join(p.name for p in stale))
    return thread


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


def export_check(worker: ExportWorker) -> tuple[bool, dict[str, Any]]:
    """Ready while the exports registry answers the worker."""
    return worker.answering, {"registry": "ok" if worker.answering else "down"}
