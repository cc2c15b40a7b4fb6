"""Event pipeline: (a) catch-up rate of the agent summary from a Kafka topic pre-filled with
`--agents` x 5 events, against (b) the raw kafka-python consume-only rate and `eventsourcing`'s
own `ProjectionRunner` building the same table from the event store, all in one run; then
(c) freshness, write accepted to summary row committed, at a steady command rate, with the write
API, the relay and the consumer in processes of their own (`bench.freshness`, one run).

    .venv/bin/python -m bench.pipeline [--agents 40000] [--runs 3] [--rate 500] [--seconds 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import timedelta
from typing import Any

import psycopg
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from kafka import KafkaConsumer
from psycopg.rows import tuple_row

from bench import freshness
from bench.write_throughput import fresh_schema
from commands.service import AgentService
from consumers.kafka_feed import KafkaFeed
from consumers.kafka_io import Publisher, ensure_topic
from consumers.lease import Lease
from consumers.log import EventLog, envelope_of
from consumers.relay import Relay
from domain.agent import Agent
from domain.values import Provenance
from projections.agent_summary import AgentSummaryProjection
from roster import pipeline
from roster.settings import Settings
from tests.agents import active_agent
from tests.builders import TODAY

BY = Provenance("bench", "bench")
EVENTS_PER_AGENT = 5
PARTITIONS = 6


def fill(service: AgentService, agents: int) -> int:
    """Save `agents` agents of five events each straight into the store; the last position."""
    for start in range(0, agents, 200):
        batch: list[Agent] = []
        for n in range(start + 1, min(start + 200, agents) + 1):
            agent = active_agent(n)
            agent.renew_license(f"LIC-{n:04d}", TODAY + timedelta(days=900), BY)
            agent.suspend("bench", BY)
            batch.append(agent)
        service.save(*batch)
    return EventLog(service).head()


def relay_all(settings: Settings, service: AgentService, head: int) -> float:
    """Publish the whole store to the topic; seconds taken."""
    publisher = Publisher(settings.kafka_bootstrap, settings.kafka_topic)
    lease = Lease(settings.read_models_conninfo(), f"bench.{settings.kafka_topic}")
    relay = Relay(EventLog(service), lease, publisher.publish, settings.kafka_topic, 5000)
    started = time.perf_counter()
    while relay.publish_once() or relay.position() < head:
        pass
    elapsed = time.perf_counter() - started
    lease.release()
    publisher.close()
    return elapsed


def with_schema(settings: Settings, schema: str) -> Settings:
    """The same settings with read models in `schema` (created here)."""
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return settings.model_copy(update={"postgres_schema": schema})


def summary_catch_up(settings: Settings, events: int) -> float:
    """Events/s of a fresh summary consumer reading the whole topic."""
    target = with_schema(settings, f"bench_read_{uuid.uuid4().hex[:8]}")
    applier = pipeline.applier(target, pipeline.generations(target), AgentSummaryProjection(),
                               settings.kafka_topic)
    feed = KafkaFeed(settings.kafka_bootstrap, settings.kafka_topic,
                     f"bench-{uuid.uuid4().hex[:8]}", [applier], batch=2000)
    feed.subscribe()
    seen, started = 0, 0.0
    while seen < events:
        got = feed.poll_once(timeout_ms=1000)
        if got and not started:
            started = time.perf_counter()
        seen += got
    elapsed = time.perf_counter() - started
    feed.close()
    return events / elapsed


def raw_consume(settings: Settings, events: int) -> float:
    """Events/s of a bare kafka-python consumer that only counts messages."""
    consumer = KafkaConsumer(settings.kafka_topic, bootstrap_servers=settings.kafka_bootstrap,
                             group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             max_poll_records=2000, fetch_max_bytes=64 * 1024 * 1024,
                             max_partition_fetch_bytes=8 * 1024 * 1024)
    seen, started = 0, 0.0
    while seen < events:
        got = sum(len(m) for m in consumer.poll(timeout_ms=1000).values())
        if got and not started:
            started = time.perf_counter()
        seen += got
    elapsed = time.perf_counter() - started
    consumer.close()
    return events / elapsed


class SummaryView(PostgresTrackingRecorder):
    """The summary table kept the `eventsourcing` way: one transaction per event."""

    schema = "public"

    def apply(self, event: DomainEventProtocol[uuid.UUID], tracking: Tracking) -> None:
        """Apply one event and record its tracking in the same transaction."""
        envelope = envelope_of(event, tracking.notification_id)
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(f"SET LOCAL search_path TO {self.schema}, public")
            AgentSummaryProjection().apply(curs.connection.cursor(row_factory=tuple_row),
                                           [envelope])
            self._insert_tracking(curs, tracking)


class SummaryByRunner(Projection[SummaryView]):
    """The agent summary as an `eventsourcing` projection."""

    name = "benchsummary"

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Agent events go to the view; the bookkeeping aggregates only move the tracking."""
        if type(domain_event).__qualname__.startswith("Agent."):
            self.view.apply(domain_event, tracking)
        else:
            self.view.insert_tracking(tracking)


class LogReader(AgentService):
    """The application the runner follows: the same store, built from the environment alone."""

    name = AgentService.name

    def __init__(self, env: Any = None) -> None:
        super().__init__(env or {}, index_key=b"")


def projection_runner(settings: Settings, limit: int) -> float:
    """Events/s of `ProjectionRunner` building the summary from the first `limit` events."""
    schema = f"bench_runner_{uuid.uuid4().hex[:8]}"
    target = with_schema(settings, schema)
    with psycopg.connect(target.read_models_conninfo(), autocommit=True) as conn:
        AgentSummaryProjection().create(conn.cursor())
    SummaryView.schema = schema
    env = {**settings.event_store_env(), "BENCHSUMMARY_POSTGRES_SCHEMA": schema}
    started = time.perf_counter()
    with ProjectionRunner(application_class=LogReader, projection_class=SummaryByRunner,
                          view_class=SummaryView, env=env) as runner:
        runner.wait(limit, timeout=600)
    return limit / (time.perf_counter() - started)


def main() -> None:
    """Run every measurement and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runner-events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with fresh_schema() as base:
        settings = base.model_copy(update={"kafka_topic": f"bench-{uuid.uuid4().hex[:8]}",
                                           "kafka_partitions": PARTITIONS})
        service = AgentService(settings.event_store_env(), settings.index_key)
        ensure_topic(settings.kafka_bootstrap, settings.kafka_topic, PARTITIONS)
        started = time.perf_counter()
        head = fill(service, args.agents)
        events = args.agents * EVENTS_PER_AGENT
        print(f"filled {events} events in {time.perf_counter() - started:.1f}s")
        relay_seconds = relay_all(settings, service, head)
        print(f"relayed in {relay_seconds:.1f}s ({events / relay_seconds:,.0f} events/s)")
        rates: dict[str, list[float]] = {"summary": [], "raw": [], "runner": []}
        for run in range(args.runs):
            rate = summary_catch_up(settings, events)
            rates["summary"].append(rate)
            rates["raw"].append(raw_consume(settings, events))
            rates["runner"].append(projection_runner(settings, args.runner_events))
            print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in rates.items()))
        service.close()
    fresh = freshness.one_run(args.rate, args.seconds)
    median = {k: statistics.median(v) for k, v in rates.items()}
    print(f"\n{args.agents * EVENTS_PER_AGENT} events, {PARTITIONS} partitions, "
          f"medians of {args.runs} runs")
    print("| path | events/s | vs ProjectionRunner | vs raw consume |")
    print("| --- | ---: | ---: | ---: |")
    for name, label in (("summary", "(a) summary catch-up from Kafka"),
                        ("raw", "(b) raw kafka-python consume"),
                        ("runner", "(b) eventsourcing ProjectionRunner")):
        print(f"| {label} | {median[name]:,.0f} | {median[name] / median['runner']:.1f} | "
              f"{median[name] / median['raw']:.2f} |")
    print(f"\n(c) freshness (bench.freshness: write API, relay and consumer in processes of "
          f"their own), {args.rate:.0f} onboardings/s asked for {args.seconds:.0f}s: "
          f"{fresh['rate']:.0f}/s reached, p50 {fresh['total p50']:.0f} ms, "
          f"p99 {fresh['total p99']:.0f} ms")


if __name__ == "__main__":
    main()
