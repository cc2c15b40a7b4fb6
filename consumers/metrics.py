"""Prometheus metrics of the relay and the consumers (one process each, default registry)."""

from __future__ import annotations

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
