"""The Kafka transport: a consumer-group member that applies each polled batch.

On every partition assignment it seeks to the appliers' own tracked offsets (in PostgreSQL),
not to the group's committed offsets; those are committed too, but only for monitoring.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from consumers import metrics
from consumers.applier import Applier, Delivery
from consumers.kafka_io import TRACEPARENT, WATERMARK
from consumers.redis_refresh import RedisRefresh
from consumers.tracing import applying
from projections.envelope import Envelope, UnknownEnvelope

log = logging.getLogger(__name__)

METADATA_MAX_AGE_MS = 30_000
"""How often the consumer looks at the topic's partitions again (the client's default is five
minutes): a member left without partitions by an assignment made on stale metadata rejoins
within this long."""


class _SeekToMarks(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, feed: KafkaFeed) -> None:
        self._feed = feed

    def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        log.info("partitions revoked: %s", sorted(tp.partition for tp in revoked))

    def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        self._feed.seek_to_marks(assigned)


class KafkaFeed:
    """Polls one topic in a consumer group and applies each batch to every applier; after each
    poll, copies the changed documents to Redis through `refresh` when given."""

    def __init__(self, bootstrap: str, topic: str, group: str, appliers: Sequence[Applier],
                 batch: int = 1000, session_timeout_ms: int = 10_000,
                 refresh: RedisRefresh | None = None) -> None:
        self.topic = topic
        self.appliers = appliers
        self._refresh = refresh
        self.assigned: set[int] = set()
        """The partitions this member holds now."""
        self.last_poll = datetime.now(UTC)
        self.lag: dict[int, int] = {}
        """Messages behind the partition's end, per held partition, at the last poll."""
        self.lag_seconds: dict[str, float] = {}
        """Per projection: age of its newest applied event while behind, else 0."""
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            client_id=f"roster-{group}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=batch,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=session_timeout_ms // 3,
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=8 * 1024 * 1024,
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
        )

    def seek_to_marks(self, assigned: Sequence[TopicPartition]) -> None:
        """Move each assigned partition to just after the least advanced applier's mark."""
        self.assigned = {tp.partition for tp in self._consumer.assignment()}
        partitions = [tp.partition for tp in assigned]
        marks = [a.marks(partitions) for a in self.appliers]
        for tp in assigned:
            offset = min(m[tp.partition].offset for m in marks) + 1
            self._consumer.seek(tp, offset)
        log.info("assigned partitions %s of %s", sorted(partitions), self.topic)

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Poll one batch and apply it; the number of messages handled."""
        polled = self._consumer.poll(timeout_ms=timeout_ms)
        self.last_poll = datetime.now(UTC)
        deliveries = [
            delivery
            for tp, messages in polled.items()
            for message in messages
            if (delivery := _delivery(tp.partition, message)) is not None
        ]
        for applier in self.appliers:
            with applying(applier.projection.name, deliveries):
                applier.apply(deliveries)
        newest = [d.envelope.occurred_at for d in deliveries if d.envelope is not None]
        if newest:
            metrics.fresh((a.projection.name for a in self.appliers), max(newest))
        if polled:  # monitoring only: no need to wait for the broker's answer
            self._consumer.commit_async({
                tp: OffsetAndMetadata(messages[-1].offset + 1, "", -1)
                for tp, messages in polled.items()
            })
        self._measure()
        if self._refresh is not None:
            self._refresh.sync()
        return sum(len(messages) for messages in polled.values())

    def _measure(self) -> None:
        for tp in self._consumer.assignment():
            end = self._consumer.highwater(tp)
            if end is not None:
                self.lag[tp.partition] = max(0, end - self._consumer.position(tp))
        behind = sum(self.lag.values())
        now = datetime.now(UTC)
        for applier in self.appliers:
            name = applier.projection.name
            for partition, lag in self.lag.items():
                metrics.CONSUMER_LAG.labels(name, str(partition)).set(lag)
            age = (now - applier.last_applied_at).total_seconds() if behind else 0.0
            self.lag_seconds[name] = age
            metrics.CONSUMER_LAG_SECONDS.labels(name).set(age)

    def subscribe(self, metadata_seconds: float = 30.0) -> None:
        """Join the group; partitions arrive (and are sought to their marks) while polling.
        First wait (up to `metadata_seconds`) until the client's metadata knows the topic's
        partitions: a group leader that assigns before then hands out none, and the client
        looks again only after `METADATA_MAX_AGE_MS`."""
        deadline = time.monotonic() + metadata_seconds
        while not self._consumer.partitions_for_topic(self.topic):
            if time.monotonic() >= deadline:
                log.warning("no partitions known for %s yet; joining anyway", self.topic)
                break
            time.sleep(0.1)
        self._consumer.subscribe([self.topic], listener=_SeekToMarks(self))

    def close(self) -> None:
        """Leave the group and close every connection."""
        self._consumer.close()
        for applier in self.appliers:
            applier.close()
        if self._refresh is not None:
            self._refresh.close()

    def run(self, stop: threading.Event) -> None:
        """Poll and apply until `stop` is set; the batch in hand is finished first."""
        self.subscribe()
        backoff = 0.1
        try:
            while not stop.is_set():
                try:
                    self.poll_once()
                    backoff = 0.1
                except KafkaError as error:
                    log.warning("Kafka failed, retrying in %.1fs: %s", backoff, error)
                    stop.wait(backoff)
                    backoff = min(10.0, backoff * 2)
        finally:
            self.close()


def _delivery(partition: int, message: ConsumerRecord) -> Delivery | None:
    trace = ""
    for name, value in message.headers or ():
        if name == WATERMARK:
            return Delivery(partition, message.offset, int(value))
        if name == TRACEPARENT:
            trace = value.decode("ascii", "replace")
    try:
        return Delivery.of(partition, message.offset, Envelope.from_json(message.value, trace))
    except UnknownEnvelope:
        log.exception("skipping a message that is not an envelope")
        return None
