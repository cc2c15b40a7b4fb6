"""Versioned JSON documents in Redis: a write never replaces a newer version with an older one.

Each value is `<version>|<json>`; one Lua script compares and sets many keys atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import redis

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


class DocumentCache:
    """Documents under one key prefix of one Redis database."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._set_if_newer = client.register_script(_SET_IF_NEWER)

    def _key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    def put(self, documents: dict[str, Versioned]) -> int:
        """Write each document unless Redis holds a newer version; the number written."""
        if not documents:
            return 0
        keys = [self._key(k) for k in documents]
        args: list[bytes | int] = []
        for version, document in documents.values():
            args += [version, orjson.dumps(document)]
        return int(self._set_if_newer(keys=keys, args=args))

    def get(self, keys: Sequence[str]) -> list[Versioned | None]:
        """The documents of `keys` in order (None where missing), in one round trip."""
        values = self._client.mget([self._key(k) for k in keys])
        return [None if v is None else _parse(v) for v in values]

    def ping(self) -> bool:
        """Whether Redis answers."""
        return bool(self._client.ping())


def _parse(value: bytes | str) -> Versioned:
    raw = value.encode() if isinstance(value, str) else value
    version, _, document = raw.partition(b"|")
    return int(version), orjson.loads(document)
