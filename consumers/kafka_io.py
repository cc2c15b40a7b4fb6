"""Kafka plumbing shared by the relay and the consumers: topic creation, the publisher, and
which partition an agent's events go to."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import UUID

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.partitioner.default import murmur2
from opentelemetry.trace import Span, SpanKind

from commands import tracing
from projections.envelope import Envelope

log = logging.getLogger(__name__)


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """Create `topic` with `partitions` partitions unless it exists."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="roster-admin")
    try:
        admin.create_topics([NewTopic(topic, partitions, 1)])
        log.info("created topic %s with %d partitions", topic, partitions)
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


def partition_of(agent_id: UUID, partitions: int) -> int:
    """The partition the producer's default partitioner sends an agent's events to (the
    murmur2 hash of the key `Publisher` gives them)."""
    hashed: int = murmur2(str(agent_id).encode())
    return (hashed & 0x7FFFFFFF) % partitions


WATERMARK = "watermark"
"""The header of a watermark message: every event up to its position precedes it."""
TRACEPARENT = "traceparent"
"""The header of a traced event: the W3C trace context of the span that published it."""


class Publisher:
    """Publishes envelopes keyed by agent id, then a watermark to every partition, and returns
    only once the broker has them all: a consumer whose every partition has passed the
    watermark of position P has seen every event up to P."""

    def __init__(self, bootstrap: str, topic: str, timeout_seconds: float = 30.0) -> None:
        self.topic = topic
        self._timeout = timeout_seconds
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            client_id="roster-relay",
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            batch_size=256 * 1024,
            max_block_ms=int(timeout_seconds * 1000),
            request_timeout_ms=10_000,
            delivery_timeout_ms=int(timeout_seconds * 1000),
        )

    def publish(self, envelopes: Sequence[Envelope], through: int) -> None:
        """Send `envelopes` in order, then the watermark `through` (the last position they
        account for); raise a `KafkaError` unless every message was acknowledged."""
        spans = {e.position: _publishing(self.topic, e) for e in envelopes if e.trace}
        try:
            futures = [
                self._producer.send(
                    self.topic,
                    key=str(e.agent_id).encode(),
                    value=e.to_json(),
                    headers=_headers(e, spans.get(e.position)),
                )
                for e in envelopes
            ]
            mark = str(through).encode()
            futures += [
                self._producer.send(self.topic, value=b"", partition=p,
                                    headers=[(WATERMARK, mark)])
                for p in sorted(self._producer.partitions_for(self.topic))
            ]
            self._producer.flush(timeout=self._timeout)
            for future in futures:
                future.get(timeout=0)
        finally:
            for span in spans.values():
                span.end()

    def close(self) -> None:
        """Flush what is pending and close."""
        self._producer.close(timeout=5)



def _publishing(topic: str, envelope: Envelope) -> Span:
    """The span of publishing a traced event, a child of the command that recorded it; it
    lasts until the broker acknowledged the page."""
    return tracing.child(envelope.trace, f"publish {topic}", SpanKind.PRODUCER, {
        "messaging.system": "kafka", "messaging.destination.name": topic,
        "roster.position": envelope.position, "roster.event_type": envelope.type})


def _headers(envelope: Envelope, span: Span | None) -> list[tuple[str, bytes]]:
    """An event's headers: its type and position, and the publishing span's `traceparent`
    when it is traced."""
    headers = [("type", envelope.type.encode()), ("position", str(envelope.position).encode())]
    if span is not None:
        headers.append((TRACEPARENT, tracing.traceparent(span).encode()))
    return headers
