"""The documents the read API serves, each built from the read-model tables with the version
it reflects.

The Redis refresh builds marked documents here to refresh Redis; the read API builds them here
when Redis is down or lacks one, and always on SQLite, which has no Redis beside it. One query
per kind of document, however many keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from projections import cache_marks, dashboard, hierarchy
from projections.db import Cursor
from projections.profile import AgentProfileProjection
from projections.redis_documents import Versioned


def build_many(cur: Cursor, keys: Sequence[str], today: date) -> dict[str, Versioned]:
    """The documents under `keys` that exist."""
    ids: dict[str, list[UUID]] = {cache_marks.PROFILE: [], cache_marks.CHAIN: []}
    built: dict[str, Versioned] = {}
    for key in keys:
        kind, _, ident = key.partition(":")
        if kind == cache_marks.DASHBOARD:
            built[key] = dashboard.dashboard(cur, today)
        elif kind in ids:
            ids[kind].append(UUID(ident))
        else:
            raise ValueError(f"no document kind {kind!r}")
    if ids[cache_marks.PROFILE]:
        docs = AgentProfileProjection.table.load(cur, ids[cache_marks.PROFILE])
        built |= {cache_marks.profile_key(i): (int(d["version"]), d) for i, d in docs.items()}
    if ids[cache_marks.CHAIN]:
        found = hierarchy.chains(cur, ids[cache_marks.CHAIN])
        built |= {cache_marks.chain_key(i): chain for i, chain in found.items()}
    return built
