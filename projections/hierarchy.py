"""The hierarchy: who reports to whom, with each agent's materialised path from the root.

Each agent's `manager_id` follows its own events; its `path` (root first, ending with itself) is
derived. Whenever a link changes, the paths of the agent and its whole subtree are recomputed
from the links, so the paths are right once the links are, whatever order the partitions of
different agents were applied in. Every row whose chain changed is marked for Redis.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from projections import cache_marks
from projections import events as ev
from projections.agent_fold import check_next
from projections.db import Cursor, StoreKind, store_of, write_rows
from projections.envelope import Envelope


@dataclass(frozen=True)
class _Dialect:
    """The statements that differ between PostgreSQL (`uuid[]` paths, GIN) and SQLite (paths
    as JSON arrays of ids, whose text for a subtree shares a prefix, btree)."""

    ddl: str
    within: str
    """Condition: the row is agent `%(x)s` or below it."""
    relink: str
    managers: str
    """Join of `hierarchy h` to the managers `m` on its path, and their order."""


def _table(path_type: str) -> str:
    return f"""
CREATE TABLE IF NOT EXISTS hierarchy (
    agent_id uuid PRIMARY KEY,
    manager_id uuid,
    path {path_type} NOT NULL,
    depth integer NOT NULL,
    agent_code text NOT NULL,
    name text NOT NULL,
    status text NOT NULL,
    version integer NOT NULL,
    revision bigint NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS hierarchy_manager ON hierarchy (manager_id, agent_code);
"""


_POSTGRES = _Dialect(
    ddl=_table("uuid[]") + """
CREATE INDEX IF NOT EXISTS hierarchy_path ON hierarchy USING gin (path)
    WITH (fastupdate = off);  -- no pending list: a subtree count never scans unindexed rows
ALTER INDEX hierarchy_path SET (fastupdate = off);
""",
    within="path @> ARRAY[%(x)s]::uuid[]",
    relink="""
WITH RECURSIVE up(agent_id, manager_id, trail) AS (
    SELECT agent_id, manager_id, ARRAY[agent_id] FROM hierarchy WHERE agent_id = %(x)s
  UNION ALL
    SELECT h.agent_id, h.manager_id, h.agent_id || up.trail
    FROM hierarchy h JOIN up ON h.agent_id = up.manager_id
    WHERE h.agent_id <> ALL(up.trail)
),
top AS (SELECT trail FROM up ORDER BY cardinality(trail) DESC LIMIT 1),
down(agent_id, path) AS (
    SELECT %(x)s::uuid, (SELECT trail FROM top)
  UNION ALL
    SELECT h.agent_id, down.path || h.agent_id
    FROM hierarchy h JOIN down ON h.manager_id = down.agent_id
    WHERE h.agent_id <> ALL(down.path)
)
UPDATE hierarchy h SET path = down.path, depth = cardinality(down.path) - 1,
    revision = h.revision + 1
FROM down WHERE h.agent_id = down.agent_id AND h.path IS DISTINCT FROM down.path
RETURNING h.agent_id
""",
    managers="LEFT JOIN hierarchy m ON m.agent_id = ANY(h.path) AND m.agent_id <> h.agent_id "
             "WHERE h.agent_id = ANY(%s) ORDER BY h.agent_id, array_position(h.path, m.agent_id)",
)

_SQLITE = _Dialect(
    ddl=_table("uuid_path") + """
CREATE INDEX IF NOT EXISTS hierarchy_path ON hierarchy (path);
""",
    within="(agent_id = %(x)s OR path BETWEEN "
           "(SELECT substr(path, 1, length(path) - 1) || ',' FROM hierarchy WHERE agent_id = %(x)s)"
           " AND (SELECT substr(path, 1, length(path) - 1) || '-' FROM hierarchy "
           "WHERE agent_id = %(x)s))",
    relink="""
WITH RECURSIVE up(agent_id, manager_id, trail) AS (
    SELECT agent_id, manager_id, json_array(agent_id) FROM hierarchy WHERE agent_id = %(x)s
  UNION ALL
    SELECT h.agent_id, h.manager_id, '["' || h.agent_id || '",' || substr(up.trail, 2)
    FROM hierarchy h JOIN up ON h.agent_id = up.manager_id
    WHERE NOT EXISTS (SELECT 1 FROM json_each(up.trail) WHERE value = h.agent_id)
),
top AS (SELECT trail FROM up ORDER BY json_array_length(trail) DESC LIMIT 1),
down(agent_id, path) AS (
    SELECT %(x)s, (SELECT trail FROM top)
  UNION ALL
    SELECT h.agent_id, json_insert(down.path, '$[#]', h.agent_id)
    FROM hierarchy h JOIN down ON h.manager_id = down.agent_id
    WHERE NOT EXISTS (SELECT 1 FROM json_each(down.path) WHERE value = h.agent_id)
)
UPDATE hierarchy SET path = down.path, depth = json_array_length(down.path) - 1,
    revision = revision + 1
FROM down WHERE hierarchy.agent_id = down.agent_id AND hierarchy.path IS NOT down.path
RETURNING agent_id
""",
    managers="LEFT JOIN json_each(h.path) p LEFT JOIN hierarchy m ON m.agent_id = p.value "
             "AND m.agent_id <> h.agent_id WHERE h.agent_id = ANY(%s) ORDER BY h.agent_id, p.key",
)


_DIALECTS = {StoreKind.POSTGRES: _POSTGRES, StoreKind.SQLITE: _SQLITE}


def _dialect(cur: Cursor) -> _Dialect:
    return _DIALECTS[store_of(cur)]


@dataclass(frozen=True, slots=True)
class Node:
    """One agent as the hierarchy shows it."""

    agent_id: UUID
    manager_id: UUID | None
    agent_code: str
    name: str
    status: str
    depth: int
    path: list[UUID]


_NODE = "agent_id, manager_id, agent_code, name, status, depth, path"


def _moves(e: ev.AgentEvent) -> bool:
    """Whether `e` changes who the agent reports to (its subtree's paths follow)."""
    return isinstance(e, ev.ManagerChanged) or (e.status_after is not None and e.clears_manager)


def _renames(e: ev.AgentEvent) -> bool:
    """Whether `e` changes the agent's name (which the chains below it show)."""
    return isinstance(e, ev.ProfileUpdated) and bool({"first_name", "last_name"}
                                                      & e.changes.keys())


@dataclass(slots=True)
class _Row:
    """One agent's row while a batch is folded into it."""

    manager_id: UUID | None
    path: list[UUID]
    agent_code: str
    name: str
    status: str
    version: int


class _Rows:
    """The rows a batch touches, held in memory: new ones inserted and changed ones updated
    once, when the batch ends or before a change that the database makes itself."""

    def __init__(self, cur: Cursor, ids: set[UUID]) -> None:
        self._cur = cur
        self._ids = set(ids)
        self._rows: dict[UUID, _Row] = {}
        self._new: dict[UUID, _Row] = {}
        self.changed: set[UUID] = set()
        self.reload()

    def reload(self) -> None:
        """Read the rows again (after the database moved paths)."""
        self._cur.execute("SELECT agent_id, manager_id, path, agent_code, name, status, version "
                          "FROM hierarchy WHERE agent_id = ANY(%s)", (list(self._ids),))
        self._rows = {r[0]: _Row(*r[1:]) for r in self._cur.fetchall()}

    def get(self, agent_id: UUID) -> _Row | None:
        """The agent's row, if it is in."""
        return self._rows.get(agent_id)

    def path(self, agent_id: UUID | None) -> list[UUID] | None:
        """The path of `agent_id` (None when it is not in yet)."""
        row = self._rows.get(agent_id) if agent_id is not None else None
        return None if row is None else row.path

    def add(self, env: Envelope, e: ev.Onboarded, path: list[UUID]) -> None:
        """A new agent's row; its chain is marked for Redis."""
        row = _Row(e.manager_id, path, e.agent_code, e.name, "PENDING_APPROVAL",
                   env.agent_version)
        self._rows[env.agent_id] = self._new[env.agent_id] = row
        self._ids.add(env.agent_id)

    def write(self) -> None:
        """Insert the new rows and update the changed ones."""
        cur = self._cur
        if self._new:
            json_paths = store_of(cur) is StoreKind.SQLITE
            write_rows(cur, "hierarchy", ("agent_id", "manager_id", "path", "depth", "agent_code",
                                          "name", "status", "version"),
                       [(x, r.manager_id, _json(r.path) if json_paths else r.path,
                         len(r.path) - 1, r.agent_code, r.name, r.status, r.version)
                        for x, r in self._new.items()])
            cache_marks.mark(cur, [cache_marks.chain_key(x) for x in self._new])
        updated = [(self._rows[x].status, self._rows[x].version, x)
                   for x in self.changed - self._new.keys()]
        if updated:
            cur.executemany("UPDATE hierarchy SET status = %s, version = %s WHERE agent_id = %s",
                            updated)
        self._new, self.changed = {}, set()


def _json(path: list[UUID]) -> str:
    return json.dumps([str(x) for x in path], separators=(",", ":"))


class HierarchyProjection:
    """The hierarchy (`hierarchy`: materialised paths, GIN-indexed on PostgreSQL)."""

    name = "hierarchy"
    version = 1
    uncompared: frozenset[str] = frozenset({"hierarchy.revision"})

    def create(self, cur: Cursor) -> None:
        """Create the table, its indexes and the cache-mark table when missing."""
        cur.execute(_dialect(cur).ddl)
        cache_marks.create(cur)

    def apply(self, cur: Cursor, envelopes: Sequence[Envelope]) -> None:
        """Fold the batch into the rows it touches in memory and write each row once; an
        event that moves a subtree or renames a manager is written through at once, with the
        paths below re-derived in the database."""
        onboarded = [e.agent_id for e in envelopes if isinstance(e.event, ev.Onboarded)]
        waiting = self._reports_waiting(cur, onboarded)
        rows = _Rows(cur, {e.agent_id for e in envelopes} | {
            e.event.manager_id for e in envelopes
            if isinstance(e.event, ev.Onboarded) and e.event.manager_id is not None})
        for env in envelopes:
            held = rows.get(env.agent_id)
            if held is not None and env.agent_version <= held.version:
                continue
            check_next(None if held is None else held.version, env)
            e = env.event
            if isinstance(e, ev.Onboarded):
                above = rows.path(e.manager_id)
                if e.manager_id is not None and above is None:
                    waiting.add(e.manager_id)
                rows.add(env, e, [*(above or []), env.agent_id])
                if env.agent_id in waiting:
                    rows.write()
                    self._relink(cur, env.agent_id, always=True)
                    rows.reload()
            elif _moves(e) or (held is not None and _renames(e)):
                rows.write()
                assert held is not None
                self._apply(cur, env, held.name)
                rows.reload()
            else:
                assert held is not None
                held.version = env.agent_version
                if e.status_after is not None:
                    held.status = e.status_after.value
                rows.changed.add(env.agent_id)
        rows.write()

    @staticmethod
    def _reports_waiting(cur: Cursor, onboarded: list[UUID]) -> set[UUID]:
        """Those of `onboarded` that reports already name as manager: their partitions ran
        ahead, so their paths are re-derived once the manager is in."""
        if not onboarded:
            return set()
        cur.execute("SELECT DISTINCT manager_id FROM hierarchy WHERE manager_id = ANY(%s)",
                    (onboarded,))
        return {row[0] for row in cur.fetchall()}

    def _apply(self, cur: Cursor, env: Envelope, name: str) -> str:
        """Apply a move or a rename of `env`'s agent, called `name`, in the database."""
        e, x = env.event, env.agent_id
        sets: dict[str, Any] = {}
        relink = False
        if e.status_after is not None:
            sets["status"] = e.status_after.value
            if e.clears_manager:
                sets["manager_id"], relink = None, True
        elif isinstance(e, ev.ManagerChanged):
            sets["manager_id"], relink = e.manager_id, True
        elif isinstance(e, ev.ProfileUpdated) and {"first_name", "last_name"} & e.changes.keys():
            first, _, last = name.partition(" ")
            sets["name"] = (f"{e.changes.get('first_name', first)} "
                            f"{e.changes.get('last_name', last)}")
        assignments = ", ".join(f"{column} = %({column})s" for column in sets)
        cur.execute(f"UPDATE hierarchy SET {assignments}{', ' if sets else ''}"  # noqa: S608
                    "version = %(version)s WHERE agent_id = %(x)s",
                    {**sets, "version": env.agent_version, "x": x})
        if relink:
            self._relink(cur, x, always=False)
        if "name" in sets:
            cur.execute("UPDATE hierarchy SET revision = revision + 1 "  # noqa: S608
                        f"WHERE {_dialect(cur).within} AND agent_id <> %(x)s RETURNING agent_id",
                        {"x": x})
            cache_marks.mark(cur, [cache_marks.chain_key(r[0]) for r in cur.fetchall()])
        return str(sets.get("name", name))

    @staticmethod
    def _relink(cur: Cursor, x: UUID, always: bool) -> None:
        cur.execute(_dialect(cur).relink, {"x": x})
        moved = {r[0] for r in cur.fetchall()} | ({x} if always else set())
        cache_marks.mark(cur, [cache_marks.chain_key(m) for m in moved])


def chains(cur: Cursor,
           agent_ids: list[UUID]) -> dict[UUID, tuple[int, list[dict[str, Any]]]]:
    """For each known agent of `agent_ids`, the managers above it (root first) and the
    revision they reflect, in one query."""
    cur.execute("SELECT h.agent_id, h.revision, m.agent_id, m.agent_code, "  # noqa: S608
                f"m.name FROM hierarchy h {_dialect(cur).managers}", (agent_ids,))
    found: dict[UUID, tuple[int, list[dict[str, Any]]]] = {}
    for agent_id, revision, manager, code, name in cur.fetchall():
        _, managers = found.setdefault(agent_id, (revision, []))
        if manager is not None:
            managers.append({"agent_id": str(manager), "agent_code": code, "name": name})
    return found


def around(cur: Cursor, agent_id: UUID, limit: int) -> tuple[list[Node], int]:
    """The first `limit` agents reporting directly to `agent_id` (by code), and how many agents
    sit below it at any depth, in one round trip."""
    cur.execute(
        f"SELECT (SELECT count(*) - 1 FROM hierarchy WHERE {_dialect(cur).within}), "  # noqa: S608
        f"r.* FROM (SELECT 1) one LEFT JOIN (SELECT {_NODE} FROM hierarchy "
        "WHERE manager_id = %(x)s ORDER BY agent_code LIMIT %(limit)s) r ON true",
        {"x": agent_id, "limit": limit})
    rows = cur.fetchall()
    size = max(0, int(rows[0][0])) if rows else 0
    return [Node(*row[1:]) for row in rows if row[1] is not None], size


def subtree(cur: Cursor, agent_id: UUID, max_depth: int,
            limit: int) -> tuple[Node | None, list[Node]]:
    """The hierarchy row of `agent_id` (None if unknown) and, at most `limit` of, the agents
    below it down to `max_depth` levels, shallowest first."""
    cur.execute(f"SELECT {_NODE} FROM hierarchy WHERE agent_id = %s", (agent_id,))  # noqa: S608
    row = cur.fetchone()
    if row is None:
        return None, []
    root = Node(*row)
    cur.execute(f"SELECT {_NODE} FROM hierarchy WHERE {_dialect(cur).within} "  # noqa: S608
                "AND depth > %(top)s AND depth <= %(bottom)s ORDER BY depth, agent_code "
                "LIMIT %(limit)s",
                {"x": root.agent_id, "top": root.depth, "bottom": root.depth + max_depth,
                 "limit": limit})
    return root, [Node(*r) for r in cur.fetchall()]
