"""Reads the event store's ordered notification log as envelopes of agent events.

Only `Agent` events leave the write side; the bookkeeping aggregates (unique keys, idempotency
records, webhook deliveries, locks, disclosures) are skipped but still move the read position.
Personal values are masked here, before anything is published or projected.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import NAMESPACE_OID, UUID, uuid5

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

from commands.history import describe
from commands.service import AgentService
from domain.agent import Agent
from domain.values import Provenance
from projections.envelope import Envelope

AGENT_TOPIC_PREFIX = get_topic(Agent) + "."
"""Every agent event's topic starts with this; nothing else's does."""


@dataclass(frozen=True)
class Page:
    """Agent events read from the log, and the last position read (agent event or not)."""

    envelopes: list[Envelope]
    last_position: int


def envelope_of(event: DomainEventProtocol[UUID], position: int) -> Envelope:
    """The published form of an agent event at `position`: masked, provenance lifted out, and
    the payload in its JSON form (dates as ISO strings), exactly as a Kafka consumer sees it."""
    described = describe(event, reveal=False)
    payload = described["payload"]
    provenance: Provenance = payload.pop("provenance")
    agent_id = event.originator_id
    return Envelope(
        event_id=uuid5(NAMESPACE_OID, f"{agent_id}/{event.originator_version}"),
        type=described["type"],
        agent_id=agent_id,
        agent_version=event.originator_version,
        position=position,
        occurred_at=described["occurred_at"],
        actor=provenance.actor,
        correlation_id=provenance.correlation_id,
        source=provenance.source.value,
        payload=orjson.loads(orjson.dumps(payload)),
    )


class EventLog:
    """The notification log of one event store, read forwards in pages."""

    def __init__(self, service: AgentService) -> None:
        self._service = service

    def head(self) -> int:
        """The position of the newest event in the store (0 when empty)."""
        return self._service.recorder.max_notification_id() or 0

    def read(self, after: int, limit: int) -> Page:
        """Up to `limit` notifications after position `after`, as envelopes of agent events."""
        notifications = self._service.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        envelopes = [
            envelope_of(self._service.mapper.to_domain_event(n), n.id)
            for n in notifications
            if n.topic.startswith(AGENT_TOPIC_PREFIX)
        ]
        last = notifications[-1].id if notifications else after
        return Page(envelopes, last)
