"""Versioned JSON documents in Redis: a write never replaces a newer version with an older one.

Each value is `<version>|<json>`; one Lua script compares and sets many keys atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import redis
import redis.asyncio

_SET_IF_NEWER = """
local written = 0
for i, key in ipairs(KEYS) do
    local version = tonumber(ARGV[2 * i - 1])
    local current = redis.call('GET', key)
    local held = current and tonumber(string.match(current, '^(%d+)|')) or -1
    if version > held then
        redis.call('SET', key, ARGV[2 * i - 1] .. '|' .. ARGV[2 * i])
        written = written + 1
    end
end
return written
"""

Versioned = tuple[int, Any]
"""A document and the version it reflects."""
Stored = tuple[int, bytes]
"""A document as JSON, as Redis holds it, and the version it reflects."""


def _packed(prefix: str, documents: dict[str, Versioned]) -> tuple[list[str], list[bytes | int]]:
    keys = [f"{prefix}:{k}" for k in documents]
    args: list[bytes | int] = []
    for version, document in documents.values():
        args += [version, orjson.dumps(document)]
    return keys, args


class DocumentCache:
    """Documents under one key prefix of one Redis database, as the consumer's Redis refresh
    writes them (the read API reads them through `AsyncDocumentCache`)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._set_if_newer = client.register_script(_SET_IF_NEWER)

    def put(self, documents: dict[str, Versioned]) -> int:
        """Write each document unless Redis holds a newer version; the number written."""
        if not documents:
            return 0
        keys, args = _packed(self._prefix, documents)
        return int(self._set_if_newer(keys=keys, args=args))

    def forget(self, kind: str) -> int:
        """Remove every document of `kind` (after a switch to a new generation, whose
        versions restart); reads then fill them again from it. The number removed."""
        removed = 0
        batch: list[bytes] = []
        for key in self._client.scan_iter(match=f"{self._prefix}:{kind}*", count=1000):
            batch.append(key)
            if len(batch) == 1000:
                removed += int(self._client.unlink(*batch))
                batch = []
        if batch:
            removed += int(self._client.unlink(*batch))
        return removed


class AsyncDocumentCache:
    """The same documents for code on an event loop (the read API), through redis.asyncio."""

    def __init__(self, client: redis.asyncio.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._set_if_newer = client.register_script(_SET_IF_NEWER)

    async def put(self, documents: dict[str, Versioned]) -> int:
        """Write each document unless Redis holds a newer version; the number written."""
        if not documents:
            return 0
        keys, args = _packed(self._prefix, documents)
        return int(await self._set_if_newer(keys=keys, args=args))

    async def get(self, keys: Sequence[str]) -> list[Stored | None]:
        """The documents of `keys` in order (None where missing) as the JSON stored, in one
        round trip."""
        values = await self._client.mget([f"{self._prefix}:{k}" for k in keys])
        return [None if v is None else _split(v) for v in values]

    async def ping(self) -> bool:
        """Whether Redis answers."""
        return bool(await self._client.ping())

    async def close(self) -> None:
        """Release the connections."""
        await self._client.aclose()


def _split(value: bytes | str) -> Stored:
    raw = value.encode() if isinstance(value, str) else value
    version, _, document = raw.partition(b"|")
    return int(version), document
