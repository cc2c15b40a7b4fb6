"""Per-agent data keys (envelope encryption): each agent's sealed fields are encrypted under a
key of its own, kept in the event store's database wrapped by a master key, never in the log.

Destroying an agent's key (erasure, in the transaction that records the erasure) leaves a
tombstone: its sealed fields read as `erased` from then on, while an agent that never had a
key is told apart (its events hold no sealed fields). Unwrapped keys are cached for a short
time: a reader that meets the agent's erasure event, and a disclosure in full, fetch the key
afresh.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from hashlib import sha256
from typing import Protocol
from uuid import UUID

from cachetools import TTLCache
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class KeyErased(Exception):
    """The agent's data key was destroyed: nothing more is sealed for it."""


class KeyMissing(Exception):
    """Sealed data names an agent without a data key (nor a tombstone): the keys table was
    lost or belongs to another store."""


class UnknownMasterKey(Exception):
    """A data key is wrapped by a master key the settings do not hold (current or previous)."""


@dataclass(frozen=True)
class MasterKey:
    """A key that wraps data keys, named by a digest of itself."""

    secret: bytes

    @property
    def key_id(self) -> str:
        """A name for the key that reveals nothing of it."""
        return sha256(b"roster-master-key:" + self.secret).hexdigest()[:16]

    @cached_property
    def _cipher(self) -> AESGCM:
        return AESGCM(self.secret)

    def wrap(self, agent_id: UUID, data_key: bytes) -> bytes:
        """`data_key` encrypted under this key, bound to the agent."""
        nonce = os.urandom(_NONCE)
        return nonce + self._cipher.encrypt(nonce, data_key, agent_id.bytes)

    def unwrap(self, agent_id: UUID, wrapped: bytes) -> bytes:
        """The data key `wrap` made for the agent."""
        return self._cipher.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], agent_id.bytes)


@dataclass(frozen=True)
class StoredKey:
    """A row of the keys table: the wrapped key (None once destroyed) and its master's name."""

    wrapped: bytes | None
    master_id: str


class KeyTable(Protocol):
    """The table of wrapped data keys, on one event store's database."""

    def create(self) -> None:
        """Create the table when missing."""

    def fetch(self, agent_ids: Sequence[UUID]) -> dict[UUID, StoredKey]:
        """The rows of those of `agent_ids` that have one."""

    def rewrap(self, change: Callable[[UUID, StoredKey], StoredKey | None]) -> int:
        """Replace each live row by `change(row)` where that is not None, in batches; the
        number replaced."""

    def tombstones(self) -> list[UUID]:
        """The agents whose key was destroyed."""


class DataKeys:
    """The agents' data keys: made on first sealing, unwrapped on demand, destroyed on
    erasure. `masters` holds the current master key first, then those it replaced."""

    def __init__(self, table: KeyTable, masters: Sequence[MasterKey], ttl: float) -> None:
        self._table = table
        self._current = masters[0]
        self._masters = {m.key_id: m for m in masters}
        self._cache: TTLCache[UUID, AESGCM | None] | None = (
            TTLCache(maxsize=100_000, ttl=ttl) if ttl > 0 else None)
        self._lock = threading.Lock()
        self._thread = threading.local()

    @property
    def current_id(self) -> str:
        """The name of the master key that wraps new keys."""
        return self._current.key_id

    def sealing_key(self, agent_id: UUID, new: bool) -> AESGCM:
        """The agent's key (`KeyErased` once destroyed). An agent without one (`new`: its
        first event, so no lookup) gets a key made now and kept pending: the recorder stores
        it in the same transaction as the events sealed under it (`take_pending`), so no
        event is ever stored under a key that is not."""
        pending = self._pending.get(agent_id)
        if pending is not None:
            if pending[0] is None:
                raise KeyErased(str(agent_id))
            return pending[0]
        key = None if new else self._cached(agent_id)
        if key is not None:
            return key
        if not new:
            found = self.refresh([agent_id])
            if agent_id in found:
                stored = found[agent_id]
                if stored is None:
                    raise KeyErased(str(agent_id))
                return AESGCM(stored)
        made = AESGCM.generate_key(bit_length=256)
        cipher = AESGCM(made)
        self._pending[agent_id] = (cipher, StoredKey(self._current.wrap(agent_id, made),
                                                     self._current.key_id))
        return cipher

    def take_pending(
        self, agent_ids: Iterable[UUID]
    ) -> dict[UUID, tuple[AESGCM | None, StoredKey]]:
        """The changes waiting for these agents' next events (each taken once): keys made and
        not stored yet, and destructions (no cipher, no wrapped key). The recorder writes
        them in the events' transaction, then `remember`s them once committed."""
        pending = self._pending
        return {a: pending.pop(a) for a in set(agent_ids) if a in pending}

    def discard_pending(self) -> None:
        """Forget the changes this thread left waiting: a save that failed must not hand
        them to the next one (which would store a key, or destroy one, with other events)."""
        self._pending.clear()

    def remember(self, keys: Mapping[UUID, AESGCM | None]) -> None:
        """Cache keys (the recorder's, once stored; None: destroyed)."""
        if self._cache is not None:
            with self._lock:
                self._cache.update(keys)

    def opening_key(self, agent_id: UUID) -> AESGCM | None:
        """The agent's key, None once destroyed; `KeyMissing` when it never had one."""
        key = self._cached(agent_id)
        if key is not None:
            return key
        found = self.refresh([agent_id])
        if agent_id not in found:
            raise KeyMissing(str(agent_id))
        stored = found[agent_id]
        return None if stored is None else AESGCM(stored)

    def refresh(self, agent_ids: Iterable[UUID]) -> dict[UUID, bytes | None]:
        """Read these agents' keys afresh (one query), so an erasure made by another process
        shows at once; those without a row are left out."""
        wanted = list(set(agent_ids))
        if not wanted:
            return {}
        rows = self._table.fetch(wanted)
        keys = {agent: None if row.wrapped is None else self._master(row).unwrap(
            agent, row.wrapped) for agent, row in rows.items()}
        self._remember(keys)
        return keys

    def opening_keys(self, agent_ids: Iterable[UUID],
                     fresh: Iterable[UUID] = ()) -> dict[UUID, AESGCM | None]:
        """The keys of `agent_ids` (None: destroyed; left out: none), those not cached and
        those of `fresh` (agents erased since they may have been cached) fetched in one
        query."""
        again = set(fresh)
        found: dict[UUID, AESGCM | None] = {}
        for agent in set(agent_ids):
            key = None if agent in again else self._cached(agent)
            if key is not None:
                found[agent] = key
            else:
                again.add(agent)
        fetched = self.refresh(again)
        return found | {a: None if k is None else AESGCM(k) for a, k in fetched.items()}

    def destroy(self, agent_id: UUID) -> None:
        """Destroy the agent's key for good (a tombstone stays) in the transaction that
        records its next events (the erasure's): both happen, or neither."""
        self._pending[agent_id] = (None, StoredKey(None, ""))

    def erased(self) -> list[UUID]:
        """Every agent whose key was destroyed."""
        return self._table.tombstones()

    def rotate(self) -> int:
        """Re-wrap every key wrapped by an older master key under the current one; no event is
        touched. The number re-wrapped."""
        def change(agent_id: UUID, row: StoredKey) -> StoredKey | None:
            if row.wrapped is None or row.master_id == self._current.key_id:
                return None
            key = self._master(row).unwrap(agent_id, row.wrapped)
            return StoredKey(self._current.wrap(agent_id, key), self._current.key_id)
        return self._table.rewrap(change)

    def _master(self, row: StoredKey) -> MasterKey:
        try:
            return self._masters[row.master_id]
        except KeyError:
            raise UnknownMasterKey(row.master_id) from None

    @property
    def _pending(self) -> dict[UUID, tuple[AESGCM | None, StoredKey]]:
        """This thread's changes waiting for its next save: each save runs on one thread,
        from the command to the recorder, and takes only its own."""
        found: dict[UUID, tuple[AESGCM | None, StoredKey]] = self._thread.__dict__.setdefault(
            "pending", {})
        return found

    def _remember(self, keys: dict[UUID, bytes | None]) -> None:
        self.remember({a: None if k is None else AESGCM(k) for a, k in keys.items()})

    def _cached(self, agent_id: UUID) -> AESGCM | None:
        if self._cache is None:
            return None
        with self._lock:
            return self._cache.get(agent_id)
