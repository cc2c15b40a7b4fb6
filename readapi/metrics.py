"""The read API's Prometheus metrics: those of every API, and what only reads have."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Counter, Gauge

from projections.operations import Standing
from readapi.store import ReadStore
from webkit.observability import Metrics


@dataclass
class ReadMetrics(Metrics):
    """Metrics of one read API process; `watch` ties the gauges that follow a store to it."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.verify_differences = Gauge(
            "roster_verify_differences", "Rows the last verification found missing, extra or "
            "different, per projection", ["projection"], registry=self.registry)
        self.dead_letters = Gauge("roster_dead_letters_parked",
                                  "Events parked now, per projection", ["projection"],
                                  registry=self.registry)
        self.lag = Gauge("roster_projection_lag_positions", "The log's head minus the "
                         "position the live generation has applied, per projection",
                         ["projection"], registry=self.registry)
        self.rebuilding = Gauge("roster_projection_rebuilding",
                                "1 while a generation of the projection is being built",
                                ["projection"], registry=self.registry)
        self.rebuild_progress = Gauge(
            "roster_projection_rebuild_progress_ratio", "How far the generation being built "
            "has got, from 0 to 1 (0 when none is)", ["projection"], registry=self.registry)
        self.reads_waiting = Gauge("roster_reads_waiting",
                                   "Reads waiting for their min_position now",
                                   registry=self.registry)
        self.redis_available = Gauge(
            "roster_redis_available", "1 while documents are read through Redis, 0 while "
            "this process answers from PostgreSQL after a Redis failure (absent on SQLite)",
            registry=self.registry)
        self.redis_failures = Counter("roster_redis_failures_total",
                                      "Redis reads or writes that failed and fell back",
                                      registry=self.registry)

    def projection(self, standing: Standing, head: int | None) -> None:
        """Report one projection's state as the registry has it, the log at `head` (its lag
        left as it was when the event store did not answer)."""
        name, building = standing.projection, standing.building
        if head is not None:
            self.lag.labels(name).set(max(0, head - standing.applied))
        self.dead_letters.labels(name).set(standing.parked)
        self.rebuilding.labels(name).set(int(building is not None))
        progress = (min(1.0, building.position / building.target)
                    if building is not None and building.target else 0.0)
        self.rebuild_progress.labels(name).set(progress)
        differences = standing.verdict.differences if standing.verdict is not None else 0
        self.verify_differences.labels(name).set(differences)

    def watch(self, store: ReadStore) -> None:
        """Follow `store`: its waiting reads and Redis, counted at each scrape."""
        self.reads_waiting.set_function(lambda: store.waiting)
        if store.cache is not None:
            self.redis_available.set_function(lambda: float(store.redis_available))
        store.on_redis_failure = self.redis_failures.inc
