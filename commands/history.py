"""An agent's stored events as plain data, with personal values masked (in full only through
the audited disclosure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from domain.values import PERSONAL_FIELDS, mask

_IDENTITY = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


def masked(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`payload` with every personal value masked, at any depth."""
    out: dict[str, Any] = {}
    for name, value in payload.items():
        if name in PERSONAL_FIELDS and isinstance(value, str):
            out[name] = mask(name, value)
        elif isinstance(value, Mapping):
            out[name] = masked(value)
        else:
            out[name] = value
    return out


def describe(event: DomainEventProtocol[UUID]) -> dict[str, Any]:
    """The event's type, version, time and payload, personal values masked."""
    payload = {k: v for k, v in vars(event).items() if k not in _IDENTITY}
    return {
        "type": type(event).__name__,
        "version": event.originator_version,
        "occurred_at": vars(event)["timestamp"],
        "payload": masked(payload),
    }
