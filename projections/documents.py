"""The documents Redis holds, each built from PostgreSQL with the version it reflects.

The cache sync builds marked documents here to refresh Redis; the read API builds them here
too when Redis is down or lacks one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

import psycopg

from projections import cache, dashboard, hierarchy, profile
from projections.redis_cache import Versioned


def build(cur: psycopg.Cursor, key: str, today: date) -> Versioned | None:
    """The document under `key` and its version, or None when there is none."""
    kind, _, ident = key.partition(":")
    if kind == cache.DASHBOARD:
        return dashboard.dashboard(cur, today)
    agent_id = UUID(ident)
    if kind == cache.PROFILE:
        doc = profile.profile(cur, agent_id)
        return None if doc is None else (int(doc["version"]), doc)
    if kind == cache.CHAIN:
        return hierarchy.chain(cur, agent_id)
    raise ValueError(f"no document kind {kind!r}")


def build_many(cur: psycopg.Cursor, keys: Sequence[str], today: date) -> dict[str, Versioned]:
    """The documents under `keys` that exist."""
    return {key: doc for key in keys if (doc := build(cur, key, today)) is not None}
