"""Prometheus metrics of the relay and the consumers (one process each, default registry)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram

RELAY_LAG = Gauge("roster_relay_lag_positions", "Positions between the log head and the relay")
RELAY_POSITION = Gauge("roster_relay_position", "Last position the broker acknowledged")
RELAY_PUBLISHED = Counter("roster_relay_published_total", "Agent events published")
RELAY_FAILURES = Counter("roster_relay_failures_total", "Publish rounds that failed and retry")
RELAY_ACTIVE = Gauge("roster_relay_active", "1 while this relay holds the lock, 0 as standby")

CONSUMER_LAG = Gauge("roster_consumer_lag_messages", "Messages not yet applied",
                     ["projection", "partition"])
CONSUMER_LAG_SECONDS = Gauge("roster_consumer_lag_seconds",
                             "Age of the newest applied event while behind, else 0",
                             ["projection"])
CONSUMER_EVENTS = Counter("roster_consumer_events_total", "Events applied", ["projection"])
CONSUMER_BATCH = Histogram("roster_consumer_batch_size", "Events per applied batch",
                           ["projection"], buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 5000))
CONSUMER_RETRIES = Counter("roster_consumer_retries_total", "Event or batch retries",
                           ["projection"])
CONSUMER_FRESHNESS = Histogram(
    "roster_consumer_freshness_seconds", "From an event's recording to its projection's "
    "commit, for the newest event of each applied batch", ["projection"],
    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60))
CONSUMER_DEAD_LETTERS = Counter("roster_consumer_dead_letters_total", "Events parked",
                                ["projection", "state"])

CACHE_DOCUMENTS = Counter("roster_cache_documents_total", "Documents copied to Redis")
CACHE_SYNC_FAILURES = Counter("roster_cache_sync_failures_total",
                              "Cache syncs that failed (Redis or PostgreSQL down); marks kept")

REBUILD_EVENTS = Counter("roster_rebuild_events_total",
                         "Log events a rebuild has applied to a new generation", ["projection"])
REBUILD_PROGRESS = Gauge("roster_rebuild_progress_ratio",
                         "How far a rebuild has got: its position over the log's head",
                         ["projection"])
PROJECTION_GENERATION = Gauge("roster_projection_generation",
                              "The number of the live generation of each projection",
                              ["projection"])

EXPORTS = Counter("roster_exports_total", "Export runs a worker finished, by outcome", ["outcome"])
EXPORT_ROWS = Counter("roster_export_rows_total", "Rows written to export files")
EXPORTS_RUNNING = Gauge("roster_exports_running", "Export runs this worker is writing now")


def fresh(projections: Iterable[str], occurred_at: datetime) -> None:
    """Count the freshness of a batch whose newest event occurred at `occurred_at`, once for
    each projection it was applied to."""
    seconds = max(0.0, (datetime.now(UTC) - occurred_at).total_seconds())
    for name in projections:
        CONSUMER_FRESHNESS.labels(name).observe(seconds)
