"""Sealing: an agent event's personal fields leave the event as one blob encrypted under the
agent's data key, and come back when the event is read (as `erased` once the key is gone).

The blob sits under `sealed` in the event's stored state, each sealed field left in its place
as null; the whole state is then encrypted by the store's cipher as before. A field is named by
its path in the state (`pan`, or `changes.email` in a profile update). Events stored without a
blob (before sealing, or with nothing personal) read as they were.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Cipher, Compressor, Mapper, StoredEvent, Transcoder

from commands.data_keys import DataKeys
from domain.agent import Agent
from domain.values import ERASED, PERSONAL_FIELDS

SEALED = "sealed"
"""The stored state's key of the sealed blob."""

_NONCE = 12


def _personal(state: dict[str, Any]) -> dict[str, str]:
    """The sealed fields of `state` (at the top or one level down) by path."""
    found: dict[str, str] = {}
    for name, value in state.items():
        if name in PERSONAL_FIELDS and isinstance(value, str):
            found[name] = value
        elif isinstance(value, dict):
            found |= {f"{name}.{k}": v for k, v in value.items()
                      if k in PERSONAL_FIELDS and isinstance(v, str)}
    return found


def _place(state: dict[str, Any], values: dict[str, str]) -> None:
    for path, value in values.items():
        outer, _, inner = path.partition(".")
        if inner:
            state[outer][inner] = value
        else:
            state[outer] = value


def seal(key_of: Callable[[], AESGCM], agent_id: UUID,
         state: dict[str, Any]) -> dict[str, Any]:
    """`state` with its personal values sealed into one blob under the key `key_of()` gives,
    each left in its place as null (so the fields keep their order); unchanged, and no key
    asked for, when it has none."""
    values = _personal(state)
    if not values:
        return state
    key = key_of()
    nonce = os.urandom(_NONCE)
    blob = nonce + key.encrypt(nonce, orjson.dumps(values), agent_id.bytes)
    out = dict(state)
    for path in values:
        outer, _, inner = path.partition(".")
        if inner:
            out[outer] = {**out[outer], inner: None}
        else:
            out[outer] = None
    out[SEALED] = {"paths": sorted(values), "blob": base64.b64encode(blob).decode()}
    return out


def unseal(key_of: Callable[[UUID], AESGCM | None], agent_id: UUID,
           state: dict[str, Any]) -> None:
    """Put the sealed fields of `state` back in place, in place: their values, or `erased`
    when the agent's key was destroyed."""
    sealed = state.pop(SEALED, None)
    if sealed is None:
        return
    key = key_of(agent_id)
    if key is None:
        _place(state, dict.fromkeys(sealed["paths"], ERASED))
        return
    blob = base64.b64decode(sealed["blob"])
    _place(state, orjson.loads(key.decrypt(blob[:_NONCE], blob[_NONCE:], agent_id.bytes)))


class SealingMapper(Mapper[UUID]):
    """The store's mapper, sealing agent events' personal fields under the agent's key."""

    def __init__(self, keys: DataKeys, transcoder: Transcoder,
                 compressor: Compressor | None, cipher: Cipher | None) -> None:
        super().__init__(transcoder, compressor, cipher)
        self.keys = keys

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """The stored event, its personal fields sealed."""
        if isinstance(domain_event, Agent.Event):
            agent_id, new = domain_event.originator_id, domain_event.originator_version == 1
            state = vars(domain_event)
            sealed = seal(lambda: self.keys.sealing_key(agent_id, new), agent_id, state)
            if sealed is not state:
                clone = object.__new__(type(domain_event))
                object.__setattr__(clone, "__dict__", sealed)
                domain_event = clone
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """The domain event, its sealed fields opened."""
        event = super().to_domain_event(stored_event)
        unseal(self.keys.opening_key, event.originator_id, vars(event))
        return event
