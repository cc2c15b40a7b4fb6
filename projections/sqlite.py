"""SQLite as a read-model store, speaking the projections' PostgreSQL SQL.

The projections write their SQL once, for psycopg. A `SqliteCursor` translates the few
PostgreSQL spellings they use into SQLite's (placeholders, `= ANY(list)`, casts, `FOR UPDATE`)
and converts values both ways, so rows come back as the same Python types: UUIDs, dates,
aware datetimes and JSON documents. Statements SQLite cannot express the same way (indexes,
hierarchy paths, text search) are written per dialect by the projection that needs them.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.types.json import Jsonb

from projections import generations, trigrams
from projections.db import StoreKind
from projections.jsonb import dumps, text_form

_CASTS = re.compile(r"::\w+(?:\[\])?|\s+FOR UPDATE\b", re.IGNORECASE)
_PLACEHOLDERS = re.compile(
    r"=\s*ANY\(\s*(?:(?P<any_positional>%s)|%\((?P<any_name>\w+)\)s)\s*\)"
    r"|%\((?P<name>\w+)\)s|(?P<positional>%s)|%%",
    re.IGNORECASE,
)


@lru_cache(maxsize=512)
def translate(statement: str, with_params: bool = True) -> str:
    """`statement` in SQLite's spelling: casts and `FOR UPDATE` dropped, and with parameters
    `%s` → `?`, `%(x)s` → `:x`, `%%` → `%`, `= ANY(p)` → `IN (SELECT value FROM json_each(p))`
    (as with psycopg, `%` means a placeholder only when the statement has parameters)."""
    plain = _CASTS.sub("", statement)
    return _PLACEHOLDERS.sub(_spelled, plain) if with_params else plain


def _spelled(token: re.Match[str]) -> str:
    if token["any_positional"]:
        return "IN (SELECT value FROM json_each(?))"
    if token["any_name"]:
        return f"IN (SELECT value FROM json_each(:{token['any_name']}))"  # noqa: S608
    if token["name"]:
        return f":{token['name']}"
    if token["positional"]:
        return "?"
    return "%"


def to_sqlite(value: Any) -> Any:
    """A parameter as SQLite stores it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Jsonb):
        return dumps(value.obj)
    if isinstance(value, list | tuple | set | frozenset):
        return json.dumps([to_sqlite(v) for v in value])
    return text_form(value)


def _parameters(params: Any) -> Any:
    if params is None:
        return ()
    if isinstance(params, dict):
        return {k: to_sqlite(v) for k, v in params.items()}
    return tuple(to_sqlite(v) for v in params)


def _statements(script: str) -> Iterator[str]:
    """The complete statements of `script`, one by one."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip():
        yield pending


def _datetime(raw: bytes) -> datetime:
    found = datetime.fromisoformat(raw.decode())
    return found if found.tzinfo else found.replace(tzinfo=UTC)


sqlite3.register_converter("uuid", lambda raw: UUID(raw.decode()))
sqlite3.register_converter("jsonb", json.loads)
sqlite3.register_converter("timestamptz", _datetime)
sqlite3.register_converter("date", lambda raw: date.fromisoformat(raw.decode()))
sqlite3.register_converter("uuid_path", lambda raw: [UUID(v) for v in json.loads(raw)])


class SqliteCursor:
    """A cursor taking the projections' psycopg-style SQL and parameters."""

    dialect = StoreKind.SQLITE

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, query: str | sql.Composable, params: Any = None) -> SqliteCursor:
        """Run one statement, or, without parameters, each statement of a script."""
        if isinstance(query, sql.Composable):
            query = query.as_string(None)
        if params is not None:
            self._cursor.execute(translate(query), _parameters(params))
        else:
            for statement in _statements(translate(query, with_params=False)):
                self._cursor.execute(statement)
        return self

    def executemany(self, query: str, params_seq: Iterable[Any]) -> None:
        """Run one statement once per parameter set."""
        self._cursor.executemany(translate(query), (_parameters(p) for p in params_seq))

    def fetchone(self) -> Any:
        """The next row, or None."""
        return self._cursor.fetchone()

    def fetchmany(self, size: int) -> list[Any]:
        """Up to `size` of the remaining rows."""
        return self._cursor.fetchmany(size)

    @property
    def rowcount(self) -> int:
        """How many rows the last statement changed."""
        return self._cursor.rowcount

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        return self._cursor.fetchall()


class SqliteStore:
    """One SQLite database file of read models, shared by the threads of one process.

    Writers take turns on one connection (a transaction at a time); readers each use a
    connection of their own thread and, in WAL mode, never wait for a writer.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._write_lock = threading.Lock()
        self._local = threading.local()
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, detect_types=sqlite3.PARSE_DECLTYPES,
                               isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.create_function("word_similarity", 2, trigrams.word_similarity, deterministic=True)
        return conn

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[SqliteCursor]:
        """A cursor inside one write transaction, committed when the block ends."""
        with self._write_lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteCursor(conn.cursor())
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def reader(self) -> SqliteCursor:
        """A cursor for reads in autocommit: each statement sees the newest commit."""
        return SqliteCursor(self._connection().cursor())

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


_UNIONS = ("projection_tracking", "dead_letters")
"""Bookkeeping tables every generation has, read as one over all live generations."""


class ServingFiles:
    """The live generations of every projection, for reads: each reader thread's connection
    opens the registry file and attaches each projection's live generation file, so a query
    names tables as a projection does; tracking and dead letters are views over all of them.

    Before each read the connection looks whether the registry changed (`PRAGMA
    data_version`, no I/O) and, after a switch, attaches the new generation instead.
    """

    def __init__(self, registry: Path) -> None:
        self.registry = registry
        self.folder = registry.parent
        SqliteStore(registry)
        self._local = threading.local()

    def reader(self) -> SqliteCursor:
        """A cursor over the live generations, in autocommit."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.registry, detect_types=sqlite3.PARSE_DECLTYPES,
                                   isolation_level=None, check_same_thread=False, timeout=30)
            conn.create_function("word_similarity", 2, trigrams.word_similarity,
                                 deterministic=True)
            self._local.conn, self._local.seen, self._local.files = conn, None, {}
        seen = conn.execute("PRAGMA main.data_version").fetchone()[0]
        if seen != self._local.seen:
            self._attach_live(conn)
            self._local.seen = seen
        return SqliteCursor(conn.cursor())

    def _attach_live(self, conn: sqlite3.Connection) -> None:
        try:
            rows = conn.execute("SELECT projection, generation FROM projection_generations "
                                "WHERE state = 'live'").fetchall()
        except sqlite3.OperationalError:
            rows = []
        wanted = {f"g_{p}": self.folder / generations.file_name(p, n) for p, n in rows}
        files: dict[str, Path] = self._local.files
        for alias in [a for a, path in files.items() if wanted.get(a) != path]:
            conn.execute(f"DETACH DATABASE {alias}")
            del files[alias]
        for alias, path in wanted.items():
            if alias not in files and path.exists():
                conn.execute(f"ATTACH DATABASE ? AS {alias}", (str(path),))
                files[alias] = path
        for table in _UNIONS:
            conn.execute(f"DROP VIEW IF EXISTS temp.{table}")
            parts = [f"SELECT * FROM {alias}.{table}" for alias in sorted(files)  # noqa: S608
                     if conn.execute(f"SELECT 1 FROM {alias}.sqlite_master "  # noqa: S608
                                     "WHERE name = ?", (table,)).fetchone()]
            if parts:
                conn.execute(f"CREATE TEMP VIEW {table} AS {' UNION ALL '.join(parts)}")


def held_files(folder: Path, held: Sequence[generations.Generation]) -> tuple[Path, ...]:
    """The files of the generations `held` (a snapshot's), in the read-models folder."""
    return tuple(folder / generations.file_name(g.projection, g.number) for g in held)


class HeldFiles:
    """Reads over a fixed set of generation files (a snapshot's): each reader thread keeps a
    connection per set, with every file of it attached, so a query names tables as a
    projection does."""

    KEPT = 8
    """Sets a thread keeps open."""

    def __init__(self) -> None:
        self._local = threading.local()

    def reader(self, files: tuple[Path, ...]) -> SqliteCursor:
        """A cursor over `files`, in autocommit."""
        opened: dict[tuple[Path, ...], sqlite3.Connection] = getattr(self._local, "opened", {})
        self._local.opened = opened
        conn = opened.get(files)
        if conn is None:
            if len(opened) >= self.KEPT:
                for old in opened.values():
                    old.close()
                opened.clear()
            conn = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES,
                                   isolation_level=None, check_same_thread=False, uri=True)
            conn.create_function("word_similarity", 2, trigrams.word_similarity,
                                 deterministic=True)
            for n, path in enumerate(files):
                conn.execute(f"ATTACH DATABASE ? AS held_{n}", (f"file:{path}?mode=ro",))
            opened[files] = conn
        return SqliteCursor(conn.cursor())
