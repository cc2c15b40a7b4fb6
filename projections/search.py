"""Searching the agent summary: filters, typo-tolerant text, and keyset pages.

A page ends with the sort key of its last row; the next page starts strictly after it, so a
walk through all pages never repeats a row and never skips one that existed when it began.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from projections.agent_summary import COLUMNS, AgentSummary


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


def _conditions(f: Filters, today: date) -> list[sql.Composable]:
    where: list[sql.Composable] = []
    if f.q:
        text = f.q.lower()
        where.append(sql.SQL("(search_text LIKE {like} OR {q} <% search_text)").format(
            like=sql.Literal(f"%{_escaped(text)}%"), q=sql.Literal(text)))
    for column in ("status", "agent_type", "office_code", "region", "manager_id"):
        value = getattr(f, column)
        if value is not None:
            where.append(sql.SQL("{} = {}").format(sql.Identifier(column), sql.Literal(value)))
    if f.license_expiring_within_days is not None:
        until = today + timedelta(days=f.license_expiring_within_days)
        where.append(sql.SQL(
            "EXISTS (SELECT 1 FROM summary_license l WHERE l.agent_id = agent_summary.agent_id "
            "AND l.revoked_on IS NULL AND l.expires_on BETWEEN {} AND {})"
        ).format(sql.Literal(today), sql.Literal(until)))
    return where


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _after(sort: Sort, key: list[Any]) -> sql.Composable:
    columns = _KEYS[sort]
    descending = columns[0][1]
    return sql.SQL("({}) {} ({})").format(
        sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns),
        sql.SQL("<" if descending else ">"),
        sql.SQL(", ").join(sql.Literal(v) for v in key),
    )


def key_of(row: AgentSummary, sort: Sort) -> list[Any]:
    """The sort key of `row`, as a cursor carries it (JSON-ready)."""
    return [str(getattr(row, c)) if c in {"agent_id", "onboarded_at"} else getattr(row, c)
            for c, _ in _KEYS[sort]]


def search(cur: psycopg.Cursor, filters: Filters, sort: Sort, after: list[Any] | None,
           limit: int, today: date) -> list[AgentSummary]:
    """Up to `limit` agents matching `filters` in `sort` order, after the key `after`."""
    cur.execute(query(filters, sort, after, limit, today))
    return [AgentSummary(*row) for row in cur.fetchall()]


def query(filters: Filters, sort: Sort, after: list[Any] | None, limit: int,
          today: date) -> sql.Composed:
    """The SQL of `search`."""
    where = _conditions(filters, today)
    if after is not None:
        where.append(_after(sort, after))
    return sql.SQL("SELECT {} FROM agent_summary {} ORDER BY {} LIMIT {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in COLUMNS),
        sql.SQL("WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL(""),
        sql.SQL(", ").join(sql.SQL("{} DESC" if d else "{}").format(sql.Identifier(c))
                           for c, d in _KEYS[sort]),
        sql.Literal(limit),
    )


def key_length(sort: Sort) -> int:
    """How many values a cursor of `sort` carries."""
    return len(_KEYS[sort])

