"""Verification: a projection's live tables compared, row by row, with a fresh fold of the log
at the same position, and the verdict kept beside the generations' registry
(`projection_verifications`, made with it).

The comparison is plain SQL over two namespaces of one connection (two schemas on PostgreSQL,
two attached files on SQLite): a full join of each table with itself on its primary key counts
the rows missing from the live table, the extra ones, and the ones whose values differ, and
brings back the first few of them with their differing fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import orjson

from projections.db import Cursor, StoreKind, store_of
from projections.generations import BOOKKEEPING

EXAMPLES = 5
"""Differing rows shown per table."""


@dataclass(frozen=True)
class Table:
    """A table as the comparison sees it: its key columns and the columns compared."""

    name: str
    key: list[str]
    columns: list[str]


@dataclass(frozen=True)
class TableCount:
    """How one table compared."""

    table: str
    compared: int
    """Rows on either side."""
    missing: int
    """In the fold of the log, not in the live table."""
    extra: int
    """In the live table, not in the fold."""
    different: int

    @property
    def differences(self) -> int:
        """Rows that are not the same on both sides."""
        return self.missing + self.extra + self.different


@dataclass(frozen=True)
class Example:
    """One row that is not the same on both sides, and the first fields that differ."""

    table: str
    kind: str
    """`missing`, `extra` or `different`."""
    key: dict[str, str]
    agent_id: str | None
    fields: list[dict[str, str | None]] = field(default_factory=list)
    """Each differing field with its value in the live table and in the fold."""


@dataclass(frozen=True)
class Verdict:
    """One projection's verification."""

    projection: str
    generation: int
    """The live generation compared."""
    position: int
    """How far the log was folded: the live generation's furthest mark."""
    checked_at: datetime
    seconds: float
    """From the start of the run to this verdict."""
    tables: list[TableCount]
    examples: list[Example]

    @property
    def differences(self) -> int:
        """Rows that differ in any table."""
        return sum(t.differences for t in self.tables)

    def as_json(self) -> dict[str, Any]:
        """The verdict as JSON values."""
        return {**asdict(self), "checked_at": self.checked_at.isoformat(),
                "differences": self.differences}

    @classmethod
    def of_json(cls, raw: dict[str, Any]) -> Verdict:
        """A verdict from `as_json`."""
        return cls(raw["projection"], raw["generation"], raw["position"],
                   datetime.fromisoformat(raw["checked_at"]), raw["seconds"],
                   [TableCount(**t) for t in raw["tables"]],
                   [Example(**e) for e in raw["examples"]])


def record(cur: Cursor, verdict: Verdict) -> None:
    """Keep `verdict` as its projection's last."""
    cur.execute("INSERT INTO projection_verifications (projection, checked_at, differences, "
                "report) VALUES (%s, %s, %s, %s) ON CONFLICT (projection) DO UPDATE SET "
                "checked_at = EXCLUDED.checked_at, differences = EXCLUDED.differences, "
                "report = EXCLUDED.report",
                (verdict.projection, verdict.checked_at, verdict.differences,
                 orjson.dumps(verdict.as_json()).decode()))


def latest(cur: Cursor) -> dict[str, Verdict]:
    """Each projection's last verdict (none before the first verification)."""
    cur.execute("SELECT report FROM projection_verifications")
    return {v.projection: v for v in (Verdict.of_json(orjson.loads(r[0]))
                                      for r in cur.fetchall())}


def tables(cur: Cursor, namespace: str, uncompared: frozenset[str]) -> list[Table]:
    """The read-model tables in `namespace` (a schema, or an attached file's alias) with
    their keys and the columns worth comparing."""
    if store_of(cur) is StoreKind.POSTGRES:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                    "AND table_type = 'BASE TABLE' ORDER BY 1", (namespace,))
        names = [str(r[0]) for r in cur.fetchall()]
        found = []
        for name in names:
            cur.execute("SELECT a.attname, coalesce(a.attnum = ANY(i.indkey), false) "
                        "FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid "
                        "AND i.indisprimary WHERE a.attrelid = %s::regclass AND a.attnum > 0 "
                        "AND NOT a.attisdropped ORDER BY a.attnum", (f'"{namespace}"."{name}"',))
            found.append((name, [(str(c), bool(k)) for c, k in cur.fetchall()]))
    else:
        cur.execute(f'SELECT name, sql FROM "{namespace}".sqlite_master '  # noqa: S608
                    "WHERE type = 'table' ORDER BY 1")
        listed = [(str(name), str(ddl or "")) for name, ddl in cur.fetchall()]
        virtual = [name for name, ddl in listed if ddl.upper().startswith("CREATE VIRTUAL")]
        found = []
        for name, _ in listed:
            if any(name == v or name.startswith(f"{v}_") for v in virtual):
                continue  # a full-text index and its shadow tables: derived, not state
            cur.execute(f'PRAGMA "{namespace}".table_info("{name}")')
            found.append((name, [(str(r[1]), int(r[5]) > 0) for r in cur.fetchall()]))
    made = []
    for name, columns in found:
        if name in BOOKKEEPING or name in uncompared:
            continue
        key = [c for c, is_key in columns if is_key] or [c for c, _ in columns]
        rest = [c for c, is_key in columns if c not in key and f"{name}.{c}" not in uncompared]
        made.append(Table(name, key, rest))
    return made


def _text(value: Any) -> str | None:
    if value is None:
        return None
    shown = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode() \
        if isinstance(value, dict | list) else str(value)
    return shown if len(shown) <= 200 else shown[:197] + "..."


def compare(cur: Cursor, live: str, fresh: str, table: Table,
            examples: int = EXAMPLES) -> tuple[TableCount, list[Example]]:
    """`table` in namespace `live` against the same table in namespace `fresh` (the fold)."""
    on = " AND ".join(f'l."{k}" = f."{k}"' for k in table.key)
    same = " AND ".join(f'l."{c}" IS NOT DISTINCT FROM f."{c}"' for c in table.columns)
    absent_live, absent_fresh = f'l."{table.key[0]}" IS NULL', f'f."{table.key[0]}" IS NULL'
    differs = f"NOT ({same})" if same else "false"
    joined = f'FROM "{live}"."{table.name}" l FULL JOIN "{fresh}"."{table.name}" f ON {on}'
    cur.execute(f"SELECT count(*), "
                f"coalesce(sum(CASE WHEN {absent_live} THEN 1 ELSE 0 END), 0), "
                f"coalesce(sum(CASE WHEN {absent_fresh} THEN 1 ELSE 0 END), 0), "
                f"coalesce(sum(CASE WHEN {absent_live} OR {absent_fresh} THEN 0 "
                f"WHEN {differs} THEN 1 ELSE 0 END), 0) {joined}")
    compared, missing, extra, different = (int(v) for v in cur.fetchone())
    count = TableCount(table.name, compared, missing, extra, different)
    if not count.differences:
        return count, []
    keys = ", ".join(f'coalesce(l."{k}", f."{k}")' for k in table.key)
    pairs = ", ".join(f'l."{c}", f."{c}"' for c in table.columns)
    cur.execute(f"SELECT {absent_live}, {absent_fresh}, {keys}"
                f"{', ' + pairs if pairs else ''} {joined} "
                f"WHERE {absent_live} OR {absent_fresh} OR {differs} "
                f"ORDER BY {keys} LIMIT {int(examples)}")
    return count, [_example(table, row) for row in cur.fetchall()]


def _example(table: Table, row: Any) -> Example:
    not_live, not_fresh = bool(row[0]), bool(row[1])
    key = dict(zip(table.key, (_text(v) or "" for v in row[2:2 + len(table.key)]),
                   strict=True))
    values = row[2 + len(table.key):]
    pairs = {c: (values[2 * i], values[2 * i + 1]) for i, c in enumerate(table.columns)}
    agent = key.get("agent_id") or _text(next((v for v in pairs.get("agent_id", ()) if v),
                                             None))
    kind = "missing" if not_live else "extra" if not_fresh else "different"
    fields = [] if kind != "different" else [
        {"field": c, "live": _text(a), "log": _text(b)}
        for c, (a, b) in pairs.items() if a != b][:EXAMPLES]
    return Example(table.name, kind, key, agent, fields)
