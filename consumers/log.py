"""Reads the event store's ordered notification log as envelopes of agent events.

Only `Agent` events leave the write side; the bookkeeping aggregates (unique keys, idempotency
records, webhook deliveries, locks, disclosures) are skipped but still move the read position.
Personal values are masked here, before anything is published or projected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_OID, UUID, uuid5

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from commands.history import describe, masked
from commands.positions import notifications_of
from commands.sealing import unseal
from commands.service import AgentService
from domain.agent import Agent
from domain.values import Provenance
from projections.envelope import Envelope

AGENT_TOPIC_PREFIX = get_topic(Agent) + "."
"""Every agent event's topic starts with this; nothing else's does."""
ERASED_TOPIC = get_topic(Agent.PersonalDataErased)
"""The topic of an erasure: its agent's key is read afresh, never from the cache."""


@dataclass(frozen=True)
class Page:
    """Agent events read from the log, and the last position read (agent event or not)."""

    envelopes: list[Envelope]
    last_position: int


def envelope_of(event: DomainEventProtocol[UUID], position: int) -> Envelope:
    """The published form of an agent event at `position`: masked, provenance lifted out, and
    the payload in its JSON form (dates as ISO strings), exactly as a Kafka consumer sees it."""
    described = describe(event)
    payload = described["payload"]
    provenance: Provenance = payload.pop("provenance")
    return _envelope(event.originator_id, event.originator_version, described["type"],
                     position, described["occurred_at"],
                     (provenance.actor, provenance.correlation_id, provenance.source.value,
                      provenance.trace),
                     orjson.loads(orjson.dumps(payload)))


def _envelope(agent_id: UUID, version: int, kind: str, position: int, occurred_at: datetime,
              provenance: tuple[str, str, str, str], payload: dict[str, Any]) -> Envelope:
    """An envelope, its id derived from the agent and version (the same on every path);
    `provenance` is the actor, correlation id, source and trace."""
    actor, correlation_id, source, trace = provenance
    return Envelope(
        event_id=uuid5(NAMESPACE_OID, f"{agent_id}/{version}"),
        type=kind,
        agent_id=agent_id,
        agent_version=version,
        position=position,
        occurred_at=occurred_at,
        actor=actor,
        correlation_id=correlation_id,
        source=source,
        payload=payload,
        trace=trace,
    )


class NotPlain(ValueError):
    """A stored value of a type the quick decoding does not know."""


_PLAIN = frozenset({"date_iso", "datetime_iso", "license", "provenance"})
"""Stored types whose data is already the JSON form an envelope carries."""


def _as_published(value: Any) -> Any:
    """A value of a stored event's JSON as an envelope carries it: the transcoder's typed
    values (`{"_type_": ..., "_data_": ...}`) replaced by their JSON form."""
    if isinstance(value, dict):
        kind = value.get("_type_")
        if kind is None:
            return {k: _as_published(v) for k, v in value.items()}
        if kind in _PLAIN:
            return _as_published(value["_data_"])
        if kind == "uuid_hex":
            return str(UUID(value["_data_"]))
        raise NotPlain(kind)
    if isinstance(value, list):
        return [_as_published(v) for v in value]
    return value


class EventLog:
    """The notification log of one event store, read forwards in pages.

    An agent event is decoded straight from its stored JSON into the envelope (decrypted by
    the store's own cipher): the same envelope `envelope_of` makes from the domain event,
    without building the event first. A stored value of a type that path does not know
    falls back to the domain event.
    """

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
        last = notifications[-1].id if notifications else after
        return Page(self._envelopes(notifications), last)

    def history(self, agent_id: UUID) -> list[Envelope]:
        """Every event of one agent as envelopes with their positions, oldest first (empty
        for an id that is no agent's)."""
        return self._envelopes(notifications_of(self._service.recorder, agent_id))

    def _envelopes(self, notifications: Sequence[Notification]) -> list[Envelope]:
        """The agent events among `notifications` as envelopes, the data keys not cached
        fetched in one query, and those of agents erased among them fetched afresh."""
        agents = [n for n in notifications if n.topic.startswith(AGENT_TOPIC_PREFIX)]
        keys = self._service.data_keys.opening_keys(
            {_uuid(n.originator_id) for n in agents},
            fresh={_uuid(n.originator_id) for n in agents if n.topic == ERASED_TOPIC})
        return [self._envelope(n, keys) for n in agents]

    def stored(self, notification: Notification,
               keys: Mapping[UUID, AESGCM | None] | None = None) -> dict[str, Any]:
        """The stored JSON of a notification's event, decrypted and decompressed by the
        store's own cipher and compressor, its personal fields unsealed with the agent's key
        from `keys` (`KeyError` when not there) or from the store."""
        mapper = self._service.mapper
        state = notification.state
        if mapper.cipher is not None:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor is not None:
            state = mapper.compressor.decompress(state)
        found: dict[str, Any] = orjson.loads(state)
        key_of = self._service.data_keys.opening_key if keys is None else keys.__getitem__
        unseal(key_of, _uuid(notification.originator_id), found)
        return found

    def _envelope(self, notification: Notification,
                  keys: Mapping[UUID, AESGCM | None]) -> Envelope:
        try:
            return published(notification, self.stored(notification, keys))
        except (NotPlain, KeyError, TypeError):
            event = self._service.mapper.to_domain_event(notification)
            return envelope_of(event, notification.id)


def _uuid(found: UUID | str) -> UUID:
    return found if isinstance(found, UUID) else UUID(found)


def published(notification: Notification, stored: dict[str, Any]) -> Envelope:
    """The envelope of an agent event from its stored JSON; `NotPlain` (or `KeyError`) when
    the JSON holds what only the domain event can read."""
    occurred_at = datetime.fromisoformat(stored.pop("timestamp")["_data_"])
    provenance = stored.pop("provenance")["_data_"]
    stored.pop("originator_topic", None)
    return _envelope(_uuid(notification.originator_id),
                     notification.originator_version,
                     notification.topic[len(AGENT_TOPIC_PREFIX):], notification.id, occurred_at,
                     (provenance["actor"], provenance["correlation_id"], provenance["source"],
                      provenance.get("trace", "")),
                     masked(_as_published(stored)))
