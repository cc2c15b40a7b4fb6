"""Searching the agent summary: filters, typo-tolerant text (or the beginning of a code), and
keyset pages.

A page ends with the sort key of its last row; the next page starts strictly after it, so a
walk through all pages never repeats a row and never skips one that existed when it began.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import sql

from projections import trigrams
from projections.agent_summary import COLUMNS, AgentSummary
from projections.db import Cursor, StoreKind, store_of


class Sort(StrEnum):
    """The orders a search can be read in; each ends with the agent id to be total."""

    AGENT_CODE = "agent_code"
    NAME = "name"
    NEWEST = "-onboarded_at"


_KEYS: dict[Sort, tuple[tuple[str, bool], ...]] = {
    Sort.AGENT_CODE: (("agent_code", False), ("agent_id", False)),
    Sort.NAME: (("last_name", False), ("first_name", False), ("agent_id", False)),
    Sort.NEWEST: (("onboarded_at", True), ("agent_id", True)),
}
"""Each order's columns, and whether each is descending."""


@dataclass(frozen=True)
class Filters:
    """What a search may ask for; None means any."""

    q: str | None = None
    status: str | None = None
    agent_type: str | None = None
    office_code: str | None = None
    region: str | None = None
    manager_id: UUID | None = None
    license_expiring_within_days: int | None = None


Query = tuple[sql.Composed, list[Any]]
"""SQL with placeholders and its parameters: the text depends only on which filters are set,
so PostgreSQL plans each shape once per connection (psycopg prepares repeated queries)."""


Conditions = tuple[list[sql.Composable], list[Any]]
"""Conditions of a WHERE clause, and their parameters."""


def _postgres_text(text: str) -> Conditions:
    """A substring of the search text, or a similar word (pg_trgm's `<%`, GIN-indexed)."""
    return ([sql.SQL("(search_text LIKE %s OR %s <%% search_text)")],
            [f"%{_escaped(text)}%", text])


def _sqlite_text(text: str) -> Conditions:
    """Candidates from the FTS5 trigram index, then the same substring-or-similar-word test
    as PostgreSQL's (`word_similarity` follows pg_trgm)."""
    where: list[sql.Composable] = []
    params: list[Any] = []
    grams = set().union(*(trigrams.trigrams(w) for w in trigrams.words(text)))
    shared = sorted(g for g in grams if " " not in g)
    if shared:
        where.append(sql.SQL("rowid IN (SELECT rowid FROM agent_summary_text "
                             "WHERE agent_summary_text MATCH %s)"))
        params.append(" OR ".join(f'"{g}"' for g in shared))
    where.append(sql.SQL("(search_text LIKE %s ESCAPE '\\' "
                         "OR word_similarity(%s, search_text) >= %s)"))
    params += [f"%{_escaped(text)}%", text, trigrams.THRESHOLD]
    return where, params


_TEXT_MATCH: dict[StoreKind, Callable[[str], Conditions]] = {
    StoreKind.POSTGRES: _postgres_text, StoreKind.SQLITE: _sqlite_text}
"""How each store finds a name fragment, typos tolerated."""


_CODE_START = re.compile(r"[A-Z0-9][A-Z0-9-]{0,19}")
"""The beginning of an agent code (codes are 3 to 20 capitals, digits or hyphens)."""


def code_start(text: str) -> str | None:
    """`text` in capitals when it reads as the beginning of an agent code: a code's
    characters, one of them a digit (`ag-0012`); None for a name."""
    code = text.strip().upper()
    if _CODE_START.fullmatch(code) and any(c.isdigit() for c in code):
        return code
    return None


def _code_prefix(code: str) -> Conditions:
    """Agents whose code starts with `code`: a range of the code index (read in its order, a
    page's worth of rows), and the prefix itself to be exact whatever the collation."""
    after = code[:-1] + chr(ord(code[-1]) + 1)
    return ([sql.SQL("agent_code >= %s AND agent_code < %s AND agent_code LIKE %s")],
            [code, after, f"{code}%"])


def _conditions(f: Filters, today: date, store: StoreKind) -> Conditions:
    where: list[sql.Composable] = []
    params: list[Any] = []
    if f.q and (code := code_start(f.q)) is not None:
        where, params = _code_prefix(code)
    elif f.q:
        where, params = _TEXT_MATCH[store](f.q.lower())
    for column in ("status", "agent_type", "office_code", "region", "manager_id"):
        value = getattr(f, column)
        if value is not None:
            where.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
            params.append(value)
    if f.license_expiring_within_days is not None:
        where.append(sql.SQL(
            "EXISTS (SELECT 1 FROM summary_license l WHERE l.agent_id = agent_summary.agent_id "
            "AND l.revoked_on IS NULL AND l.expires_on BETWEEN %s AND %s)"))
        params += [today, today + timedelta(days=f.license_expiring_within_days)]
    return where, params


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _after(sort: Sort) -> sql.Composable:
    columns = _KEYS[sort]
    descending = columns[0][1]
    return sql.SQL("({}) {} ({})").format(
        sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns),
        sql.SQL("<" if descending else ">"),
        sql.SQL(", ").join(sql.Placeholder() for _ in columns),
    )


def key_of(row: AgentSummary, sort: Sort) -> list[Any]:
    """The sort key of `row`, as a cursor carries it (JSON-ready)."""
    return [str(getattr(row, c)) if c in {"agent_id", "onboarded_at"} else getattr(row, c)
            for c, _ in _KEYS[sort]]


def search(cur: Cursor, filters: Filters, sort: Sort, after: list[Any] | None,
           limit: int, today: date) -> list[AgentSummary]:
    """Up to `limit` agents matching `filters` in `sort` order, after the key `after`."""
    cur.execute(*query(filters, sort, after, limit, today, store_of(cur)))
    return [AgentSummary(*row) for row in cur.fetchall()]


def query(filters: Filters, sort: Sort, after: list[Any] | None, limit: int,
          today: date, store: StoreKind = StoreKind.POSTGRES) -> Query:
    """The SQL of `search` for `store`, and its parameters."""
    where, params = _conditions(filters, today, store)
    if after is not None:
        where.append(_after(sort))
        params += after
    statement = _ordered(sql.SQL(", ").join(sql.Identifier(c) for c in COLUMNS), where, sort)
    return statement + sql.SQL(" LIMIT %s"), [*params, limit]


def selection(filters: Filters, sort: Sort, today: date, store: StoreKind,
              columns: sql.Composable) -> Query:
    """Every agent matching `filters` in `sort` order, as the expressions `columns` (an
    export's), and the parameters."""
    where, params = _conditions(filters, today, store)
    return _ordered(columns, where, sort), params


def counted(filters: Filters, today: date, store: StoreKind) -> Query:
    """How many agents match `filters`."""
    where, params = _conditions(filters, today, store)
    return _ordered(sql.SQL("count(*)"), where, None), params


def _ordered(columns: sql.Composable, where: list[sql.Composable],
             sort: Sort | None) -> sql.Composed:
    order = sql.SQL("") if sort is None else sql.SQL(" ORDER BY ") + sql.SQL(", ").join(
        sql.SQL("{} DESC" if d else "{}").format(sql.Identifier(c)) for c, d in _KEYS[sort])
    return sql.SQL("SELECT {} FROM agent_summary {}").format(
        columns, sql.SQL("WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL(""),
    ) + order


def key_length(sort: Sort) -> int:
    """How many values a cursor of `sort` carries."""
    return len(_KEYS[sort])


def typed_key(sort: Sort, key: list[Any]) -> list[Any]:
    """A cursor's key with its time as a datetime again, so that each store compares it as a
    time and not as text; `ValueError` when a value is not what the column holds."""
    return [datetime.fromisoformat(str(v)) if c == "onboarded_at" else v
            for (c, _), v in zip(_KEYS[sort], key, strict=True)]

