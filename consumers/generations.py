"""Where each generation of a projection keeps its tables, and how one replaces another.

PostgreSQL: a schema per generation beside the base schema (`<base>__<projection>_g<n>`). The
base schema serves the live generations through views named as their tables (and a view of
all live tracking rows and dead letters), so readers never learn generation numbers. A
switch is one transaction holding the projection's lock exclusively: the last events are
applied to the new generation, it gets the marks the live consumers resume from, the registry
and the views move to it.

SQLite: a file per generation in the read-models folder beside the registry file; readers
attach the live files (`projections.sqlite.ServingFiles`). A switch holds the old file's
write lock (the live consumers wait), finishes the new file, moves the registry, and marks the
old file retired, in that order, each step safe to repeat after a crash.

Either way a projection's consumers write through `live(projection)`, which finds the live
generation at the start of every transaction, so after a switch they feed the new one from its
own marks.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import psycopg

from consumers import dead_letters, tracking
from consumers.database import (
    DDL_LOCK,
    Database,
    Lock,
    PostgresDatabase,
    SqliteDatabase,
    projection_lock,
)
from projections import generations
from projections.db import Cursor
from projections.generations import BOOKKEEPING, Generation, State
from projections.projection import Projection
from projections.sqlite import SqliteCursor, SqliteStore

T = TypeVar("T")

Release = Callable[[], None]
"""Gives a claimed lease back."""

CatchUp = Callable[[Cursor], int]
"""Applies the log to a generation inside the caller's transaction, up to the head; the
position reached."""


@dataclass(frozen=True)
class Handover:
    """Where the live consumers read from: their tracking source and its partitions."""

    source: str
    partitions: int


@dataclass(frozen=True)
class Frozen:
    """A read snapshot over a live generation and another one: a cursor that sees both as
    they were when it was opened, and the namespace (schema, or attached file) of each."""

    cursor: Cursor
    live: str
    other: str


class NoLiveGeneration(LookupError):
    """A projection has no live generation yet (nothing has created its tables)."""


class Generations(Protocol):
    """The generations of every projection in one read-model store."""

    registry: Database
    """The base namespace, where the registry is."""

    def live(self, projection: str) -> Database:
        """A database that writes to `projection`'s live generation, whichever it is."""

    def bound(self, generation: Generation) -> Database:
        """A database that writes to `generation` alone."""

    def make_room(self, generation: Generation) -> None:
        """Create the schema or file of a newly registered generation."""

    def drop(self, generation: Generation) -> None:
        """Drop a generation's tables (it is no longer in the registry, or is being aborted)."""

    def switch(self, new: Generation, catch_up: CatchUp, handover: Handover,
               keep: bool) -> Generation | None:
        """Make `new` live in one step; the generation it replaced, if any (dropped unless
        `keep`)."""

    def ensure_live(self, projection: Projection) -> Generation:
        """`projection`'s live generation, made (as generation 1, empty) when it has none,
        its tables created or migrated when its version is the code's."""

    def lease(self, projection: str) -> Release | None:
        """Claim the right to rebuild `projection` (held until released or the process
        ends); None when another process holds it."""

    def paused(self, projection: str) -> contextlib.AbstractContextManager[
            tuple[Generation, Cursor]]:
        """`projection`'s live generation held still until the block ends (its consumers
        wait), with a cursor on it."""

    def frozen(self, live: Generation, other: Generation) -> contextlib.AbstractContextManager[
            Frozen]:
        """A read snapshot over `live` and `other` taken on entry, kept until the block
        ends (writers go on meanwhile)."""


def create_tables(database: Database, projection: Projection) -> None:
    """Create a generation's tables, tracking and dead letters when missing."""
    database.run(lambda cur: _create(cur, projection), DDL_LOCK)


def _create(cur: Cursor, projection: Projection) -> None:
    tracking.create(cur)
    dead_letters.create(cur)
    projection.create(cur)


def _find_or_add(cur: Cursor, projection: Projection) -> tuple[Generation, bool]:
    live = generations.in_state(cur, projection.name, State.LIVE)
    if live is not None:
        return live, False
    return generations.add(cur, projection.name, projection.version, State.LIVE), True


class PostgresGenerations:
    """Generations as schemas beside the base schema, served through views in it."""

    def __init__(self, conninfo: str, base: str) -> None:
        self._conninfo = conninfo
        self.base = base
        self.registry: Database = PostgresDatabase(self._path(base))
        self.registry.run(generations.create_registry, DDL_LOCK)

    def _path(self, *schemas: str) -> str:
        names = ",".join([*schemas, "public"])
        return f"{self._conninfo} options='-c search_path={names}'"

    def schema(self, generation: Generation) -> str:
        """The schema of `generation`."""
        return generations.schema_name(self.base, generation.projection, generation.number)

    def ensure_live(self, projection: Projection) -> Generation:
        """One transaction: register generation 1 when there is none, create its schema and
        tables, and serve it; or create missing tables in the live one of the code's
        version."""
        def work(cur: Cursor) -> Generation:
            live, made = _find_or_add(cur, projection)
            if live.version == projection.version:
                cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema(live)}"')
                cur.execute(f'SET LOCAL search_path TO "{self.schema(live)}", "{self.base}", '
                            "public")
                _create(cur, projection)
            if made:
                self.serve(cur)
            return live
        return self.registry.run(work, DDL_LOCK)

    def live(self, projection: str) -> Database:
        """Finds the live generation in each transaction and points the cursor at it."""
        def enter(cur: Cursor) -> Generation:
            found = generations.in_state(cur, projection, State.LIVE)
            if found is None:
                raise NoLiveGeneration(projection)
            cur.execute(f'SET LOCAL search_path TO "{self.schema(found)}", "{self.base}", '
                        "public")
            return found
        return PostgresDatabase(self._path(self.base), enter=enter)

    def bound(self, generation: Generation) -> Database:
        """A connection whose unqualified names are `generation`'s tables."""
        database = PostgresDatabase(self._path(self.schema(generation), self.base))
        database.generation = generation
        return database

    def make_room(self, generation: Generation) -> None:
        """Create the generation's schema."""
        self.registry.run(
            lambda cur: cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema(generation)}"'),
            DDL_LOCK)

    def drop(self, generation: Generation) -> None:
        """Drop the generation's schema with everything in it."""
        self.registry.run(
            lambda cur: cur.execute(f'DROP SCHEMA IF EXISTS "{self.schema(generation)}" CASCADE'),
            DDL_LOCK)

    def switch(self, new: Generation, catch_up: CatchUp, handover: Handover,
               keep: bool) -> Generation | None:
        """One transaction, holding the projection's lock alone: catch up, hand over the
        marks, promote, re-point the views. It also holds the DDL lock, so switches of other
        projections (in other processes) and the drops that follow them come one after the
        other: each sees the registry as the last one left it."""
        def work(cur: Cursor) -> Generation | None:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK.key,))
            cur.execute(f'SET LOCAL search_path TO "{self.schema(new)}", "{self.base}", public')
            old = generations.in_state(cur, new.projection, State.LIVE)
            before = {} if old is None else tracking.source_marks(
                cur, new.projection, handover.source, f'"{self.schema(old)}".projection_tracking')
            reached = catch_up(cur)
            tracking.hand_over(cur, new.projection, handover.source, handover.partitions,
                               before, reached)
            generations.promote(cur, new, keep)
            self.serve(cur)
            return old
        old = self.registry.run(work, projection_lock(new.projection, exclusive=True))
        if old is not None and not keep:
            self.drop(old)
        return old

    def lease(self, projection: str) -> Release | None:
        """A session advisory lock on a connection of its own."""
        conn = psycopg.connect(self._path(self.base), autocommit=True)
        row = conn.execute("SELECT pg_try_advisory_lock(%s)",
                           (Lock(f"rebuild.{projection}").key,)).fetchone()
        if row is not None and row[0]:
            return conn.close
        conn.close()
        return None

    @contextlib.contextmanager
    def paused(self, projection: str) -> Iterator[tuple[Generation, Cursor]]:
        """A transaction holding the projection's lock alone, its cursor on the live
        generation's schema."""
        with psycopg.connect(self._path(self.base)) as conn, conn.transaction():
            cur = conn.cursor()
            cur.execute("SELECT pg_advisory_xact_lock(%s)",
                        (projection_lock(projection, exclusive=True).key,))
            live = generations.in_state(cur, projection, State.LIVE)
            if live is None:
                raise NoLiveGeneration(projection)
            cur.execute(f'SET LOCAL search_path TO "{self.schema(live)}", "{self.base}", public')
            yield live, cur

    @contextlib.contextmanager
    def frozen(self, live: Generation, other: Generation) -> Iterator[Frozen]:
        """A REPEATABLE READ transaction whose snapshot is taken on entry."""
        with psycopg.connect(self._path(self.base)) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            cur = conn.cursor()
            cur.execute(f'SELECT count(*) FROM "{self.schema(live)}".projection_tracking')  # noqa: S608
            yield Frozen(cur, self.schema(live), self.schema(other))
            conn.rollback()

    def serve(self, cur: Cursor) -> None:
        """Point the base schema's views at the live generations."""
        live = [g for g in generations.listed(cur) if g.state is State.LIVE]
        for generation in live:
            schema = self.schema(generation)
            cur.execute("SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = %s AND table_type = 'BASE TABLE'", (schema,))
            for (table,) in cur.fetchall():
                if table not in BOOKKEEPING:
                    self._view(cur, table, f'SELECT * FROM "{schema}"."{table}"')  # noqa: S608
        for table in ("projection_tracking", "dead_letters"):
            parts = [f'SELECT * FROM "{self.schema(g)}".{table}'  # noqa: S608
                     for g in live]
            if parts:
                self._view(cur, table, " UNION ALL ".join(parts))

    def _view(self, cur: Cursor, name: str, query: str) -> None:
        """(Re)create the view `name` in the base schema; a table of that name, left there by
        a version before generations, is renamed aside."""
        cur.execute("SELECT c.relkind FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
                    (self.base, name))
        row = cur.fetchone()
        if row is not None and row[0] == "v":
            cur.execute(f'DROP VIEW "{self.base}"."{name}"')
        elif row is not None:
            cur.execute(f'ALTER TABLE "{self.base}"."{name}" '
                        f'RENAME TO "{name}_before_generations"')
        cur.execute(f'CREATE VIEW "{self.base}"."{name}" AS {query}')


_STATE_DDL = """
CREATE TABLE IF NOT EXISTS generation_state (
    one boolean PRIMARY KEY DEFAULT true CHECK (one), retired boolean NOT NULL DEFAULT false);
INSERT INTO generation_state (retired) VALUES (false) ON CONFLICT DO NOTHING;
"""
"""In each SQLite generation file: whether it has been replaced (consumers then move on)."""


class _Retired(Exception):
    """The file's generation was replaced while a consumer waited for its lock."""


class SqliteGenerations:
    """Generations as SQLite files beside the registry file."""

    def __init__(self, registry: Path) -> None:
        self.folder = registry.parent
        self._registry = SqliteStore(registry)
        self.registry: Database = SqliteDatabase(self._registry)
        self.registry.run(generations.create_registry)
        self._stores: dict[Path, SqliteStore] = {}

    def path(self, generation: Generation) -> Path:
        """The file of `generation`."""
        return self.folder / generations.file_name(generation.projection, generation.number)

    def file_store(self, generation: Generation) -> SqliteStore:
        """The open file of `generation`."""
        path = self.path(generation)
        if path not in self._stores:
            self._stores[path] = SqliteStore(path)
        return self._stores[path]

    def ensure_live(self, projection: Projection) -> Generation:
        """Register generation 1 when there is none and make its file; create missing tables
        in the live one of the code's version."""
        live, made = self.registry.run(lambda cur: _find_or_add(cur, projection))
        if made:
            self.make_room(live)
        if live.version == projection.version:
            create_tables(self.bound(live), projection)
        return live

    def live(self, projection: str) -> Database:
        """Finds the live generation before each transaction and writes to its file."""
        return _LiveFile(self, projection)

    def current(self, projection: str) -> Generation:
        """`projection`'s live generation as the registry says now."""
        found = generations.in_state(self._registry.reader(), projection, State.LIVE)
        if found is None:
            raise NoLiveGeneration(projection)
        return found

    def bound(self, generation: Generation) -> Database:
        """The generation's own file."""
        return SqliteDatabase(self.file_store(generation), generation)

    def make_room(self, generation: Generation) -> None:
        """Create the generation's file and its retirement flag."""
        self.bound(generation).run(lambda cur: cur.execute(_STATE_DDL))

    def drop(self, generation: Generation) -> None:
        """Delete the generation's file (readers that still have it open finish their read)."""
        store = self._stores.pop(self.path(generation), None)
        if store is not None:
            store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path(generation)}{suffix}").unlink(missing_ok=True)

    def switch(self, new: Generation, catch_up: CatchUp, handover: Handover,
               keep: bool) -> Generation | None:
        """Hold the old file's lock while the new file catches up and takes the marks, then
        move the registry, then retire the old file."""
        old = generations.in_state(self._registry.reader(), new.projection, State.LIVE)
        with self._held(old) as old_cur:
            before = {} if old_cur is None else tracking.source_marks(
                old_cur, new.projection, handover.source)

            def finish(cur: Cursor) -> None:
                reached = catch_up(cur)
                tracking.hand_over(cur, new.projection, handover.source, handover.partitions,
                                   before, reached)
            self.bound(new).run(finish)
            self.registry.run(lambda cur: generations.promote(cur, new, keep))
            if old_cur is not None:
                old_cur.execute("UPDATE generation_state SET retired = true")
        if old is not None and not keep:
            self.drop(old)
        return old

    def lease(self, projection: str) -> Release | None:
        """An exclusive lock on a file beside the generations'."""
        held = (self.folder / f"{projection}.rebuild.lock").open("w")
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.close()
            return None
        return held.close

    @contextlib.contextmanager
    def paused(self, projection: str) -> Iterator[tuple[Generation, Cursor]]:
        """A write transaction on the live file: its consumers wait for the file's lock."""
        live = self.current(projection)
        with self.file_store(live).transaction() as cur:
            yield live, cur

    @contextlib.contextmanager
    def frozen(self, live: Generation, other: Generation) -> Iterator[Frozen]:
        """A read transaction on the live file with the other attached (WAL: it keeps seeing
        what both held when it began, whatever is written after)."""
        conn = sqlite3.connect(self.path(live), detect_types=sqlite3.PARSE_DECLTYPES,
                               isolation_level=None, check_same_thread=False, timeout=30)
        try:
            conn.execute("ATTACH DATABASE ? AS other", (str(self.path(other)),))
            conn.execute("BEGIN")
            for name in ("main", "other"):
                conn.execute(f"SELECT count(*) FROM {name}.sqlite_master")  # noqa: S608
            yield Frozen(SqliteCursor(conn.cursor()), "main", "other")
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    @contextlib.contextmanager
    def _held(self, old: Generation | None) -> Iterator[Cursor | None]:
        if old is None:
            yield None
            return
        with self.file_store(old).transaction() as cur:
            yield cur


class _LiveFile:
    """Writes to whichever file is live for one projection."""

    def __init__(self, store: SqliteGenerations, projection: str) -> None:
        self._generations = store
        self._projection = projection
        self.generation: Generation | None = None

    def run(self, work: Callable[[Cursor], T], lock: object = None) -> T:
        """`work` in one transaction on the live file; when the file turns out to have been
        replaced while waiting for its lock, again on the new one."""
        while True:
            found = self._generations.current(self._projection)
            try:
                with self._generations.file_store(found).transaction() as cur:
                    cur.execute("SELECT retired FROM generation_state")
                    row = cur.fetchone()
                    if row is not None and row[0]:
                        raise _Retired
                    self.generation = found
                    return work(cur)
            except _Retired:
                time.sleep(0.01)

    def close(self) -> None:
        """Close this thread's connections."""
        for store in self._generations._stores.values():
            store.close()
