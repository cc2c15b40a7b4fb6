"""The envelope every projection consumes: one agent event, its place in the log, masked data.

The same bytes travel through Kafka and through the in-process feed, so a projection cannot tell
which transport delivered an event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

import orjson

from projections.events import AgentEvent, parse

S = TypeVar("S")
T = TypeVar("T")

SCHEMA = 1
"""The envelope's version; a consumer refuses envelopes of a version it does not know."""


class UnknownEnvelope(ValueError):
    """The bytes are not an envelope of a version this code understands."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """One agent event as published: identity, position, provenance, and masked payload."""

    event_id: UUID
    type: str
    agent_id: UUID
    agent_version: int
    position: int
    occurred_at: datetime
    actor: str
    correlation_id: str
    source: str
    payload: dict[str, Any]
    """The event's fields as JSON, as they travel; read them typed through `event`."""
    trace: str = field(default="", compare=False)
    """The W3C `traceparent` of the span that handed the event on: the command's as read from
    the log, the relay's as delivered by Kafka (in a header, not in the JSON)."""
    _event: AgentEvent | None = field(default=None, init=False, repr=False, compare=False)
    _folds: dict[str, tuple[Any, Any]] | None = field(default=None, init=False, repr=False,
                                                      compare=False)

    @property
    def event(self) -> AgentEvent:
        """The payload as its typed event, parsed on first use (`BadPayload` if it does not
        fit); every projection fed this envelope shares the one parse."""
        if self._event is None:
            object.__setattr__(self, "_event", parse(self.type, self.payload))
        assert self._event is not None
        return self._event

    def folded(self, name: str, before: S, step: Callable[[S, Envelope], T]) -> T:
        """`step(before, self)` for a pure `step` named `name`, computed once for all callers
        that start from an equal state: read models that fold the same state from the same
        envelopes (the profile, the audit log and the dashboard all fold the profile) share
        one computation. The result is shared, so callers never change it in place."""
        if self._folds is None:
            object.__setattr__(self, "_folds", {})
        assert self._folds is not None
        found = self._folds.get(name)
        if found is not None and (found[0] is before or found[0] == before):
            return cast(T, found[1])
        after = step(before, self)
        self._folds[name] = (before, after)
        return after

    def to_json(self) -> bytes:
        """The envelope as versioned JSON."""
        return orjson.dumps({"schema": SCHEMA, **_fields(self)})

    @classmethod
    def from_json(cls, data: bytes, trace: str = "") -> Envelope:
        """Parse an envelope; raise `UnknownEnvelope` for anything else."""
        try:
            raw = orjson.loads(data)
            schema = raw["schema"]
            envelope = cls(
                event_id=UUID(raw["event_id"]),
                type=raw["type"],
                agent_id=UUID(raw["agent_id"]),
                agent_version=int(raw["agent_version"]),
                position=int(raw["position"]),
                occurred_at=datetime.fromisoformat(raw["occurred_at"]),
                actor=raw["actor"],
                correlation_id=raw["correlation_id"],
                source=raw["source"],
                payload=raw["payload"],
                trace=trace,
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise UnknownEnvelope(f"not an envelope: {error}") from error
        if schema != SCHEMA:
            raise UnknownEnvelope(f"envelope schema {schema!r} is not {SCHEMA}")
        return envelope


_WIRE = ("event_id", "type", "agent_id", "agent_version", "position", "occurred_at", "actor",
         "correlation_id", "source", "payload")


def _fields(envelope: Envelope) -> dict[str, Any]:
    return {name: getattr(envelope, name) for name in _WIRE}
