"""What the projections need of a database: a cursor of PostgreSQL (psycopg) or of SQLite.

The projections write their SQL for psycopg; `projections.sqlite` runs the same SQL on SQLite.
Where the two cannot share a statement, `is_sqlite` tells the projection which one it has.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol


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


def is_sqlite(cur: Cursor) -> bool:
    """Whether `cur` is a SQLite cursor (else PostgreSQL)."""
    return getattr(cur, "dialect", "postgresql") == "sqlite"


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
