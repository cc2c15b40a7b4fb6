"""What the projections need of a database: a cursor of PostgreSQL (psycopg) or of SQLite.

The projections write their SQL for psycopg; `projections.sqlite` runs the same SQL on SQLite.
Where the two cannot share a statement, a projection keeps one object per store (its statements
for that store) and picks it by `store_of(cur)`; its logic has no branch on the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, Protocol

import psycopg


class StoreKind(StrEnum):
    """The databases a read model can live in."""

    POSTGRES = "postgresql"
    SQLITE = "sqlite"


class Cursor(Protocol):
    """A DB-API cursor taking psycopg's placeholders (`%s`, `%(name)s`)."""

    def execute(self, query: Any, params: Any = None, /) -> Any:
        """Run one statement (or, without parameters, several)."""

    def executemany(self, query: Any, params_seq: Iterable[Any], /) -> Any:
        """Run one statement once per parameter set."""

    def fetchone(self) -> Any:
        """The next row, or None."""

    def fetchall(self) -> list[Any]:
        """The remaining rows."""

    @property
    def rowcount(self) -> int:
        """How many rows the last statement changed."""


def store_of(cur: Cursor) -> StoreKind:
    """The kind of database `cur` talks to (a psycopg cursor names none: PostgreSQL)."""
    return StoreKind(getattr(cur, "dialect", StoreKind.POSTGRES))


COPY_FROM = 200
"""From how many rows `write_rows` copies them in (on PostgreSQL) instead of inserting them
one statement each."""


def write_rows(cur: Cursor, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
               conflict: str = "") -> None:
    """Insert `rows` into `table`, ending the statement with `conflict` (an `ON CONFLICT`
    clause). Many rows on PostgreSQL go through COPY into a staging table dropped at commit,
    then one INSERT ... SELECT; otherwise one INSERT per row."""
    if not rows:
        return
    names = ", ".join(columns)
    if len(rows) < COPY_FROM or not isinstance(cur, psycopg.Cursor):
        marks = ", ".join(["%s"] * len(columns))
        cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}", rows)  # noqa: S608
        return
    stage = f"staged_{table}"
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {names} FROM {table} WITH NO DATA")
    with cur.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} {conflict}")  # noqa: S608
    cur.execute(f"TRUNCATE {stage}")


@contextmanager
def savepoint(cur: Cursor, name: str = "roster_step") -> Iterator[None]:
    """A step inside the transaction that is undone alone when the block raises (the same
    SQL on PostgreSQL and SQLite)."""
    cur.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        cur.execute(f"ROLLBACK TO SAVEPOINT {name}")
        cur.execute(f"RELEASE SAVEPOINT {name}")
        raise
    cur.execute(f"RELEASE SAVEPOINT {name}")
