"""The export worker: takes queued runs one at a time, writes each run's file from one
consistent view of the agent summary, and removes expired and left-over files.

A run's file is written under a name of its own attempt with `.part` at the end, flushed to
disk, then renamed; the run is marked succeeded (and its disclosures recorded) in one
transaction after that, only while the worker still holds its lease. A worker killed at any
point leaves a run `running` with a lease that runs out: the next worker starts it over, and
the sweep removes the files nobody serves.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import uuid
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import psycopg

from consumers import metrics
from consumers.database import Database
from consumers.export_files import WRITERS, copy_header, synced, write_chunks
from consumers.export_view import Held, View
from projections import export_runs, exports, progress
from projections.agent_summary import COLUMNS as SUMMARY_COLUMNS
from projections.agent_summary import AgentSummaryProjection
from projections.db import Cursor, StoreKind
from projections.export_runs import Run, Written

log = logging.getLogger(__name__)


class PersonalData(Protocol):
    """What the worker reads from the event store."""

    def personal(self, agents: Sequence[tuple[UUID, int]]) -> dict[UUID, dict[str, str | None]]:
        """The personal fields in full of `agents` as of the given versions (`erased` once
        erased)."""

    def erased(self) -> list[UUID]:
        """Every agent whose personal data was erased."""


SUMMARY = AgentSummaryProjection.name
_AGENT_ID = SUMMARY_COLUMNS.index("agent_id")
_VERSION = SUMMARY_COLUMNS.index("version")
DISCLOSED_BATCH = 5000
"""Disclosures recorded per statement."""
PACE_SECONDS = 0.01
"""How far ahead of its cap a run gets before it sleeps."""


@dataclass(frozen=True)
class WorkerConfig:
    """Where files go, how long they are kept, and the worker's pace."""

    folder: Path
    source: str
    """The consumers' tracking source (a run's position is the summary's mark in it)."""
    partitions: int
    ttl: timedelta = timedelta(days=7)
    lease: timedelta = timedelta(seconds=30)
    poll_seconds: float = 1.0
    report_seconds: float = 1.0
    sweep_seconds: float = 60.0
    rows_per_second: int = 0
    """A cap on a run's pace, leaving the database's CPU to the APIs (0: none)."""


class LeaseLost(Exception):
    """Another worker took the run over (this one was too slow to report)."""


class Refused(Exception):
    """The run cannot be written as asked; the message says why."""


class Disclosed:
    """The agents (id, version) a run disclosed, 24 bytes each."""

    def __init__(self) -> None:
        self.ids = bytearray()
        self.versions = array("q")

    def add(self, agent_id: UUID, version: int) -> None:
        """Remember one agent."""
        self.ids += agent_id.bytes
        self.versions.append(version)

    def pairs(self) -> Iterator[tuple[UUID, int]]:
        """Every agent remembered, in order."""
        for n, version in enumerate(self.versions):
            yield UUID(bytes=bytes(self.ids[n * 16:(n + 1) * 16])), version


class _Progress:
    """Counts the rows written and reports them (renewing the lease) at most once a
    `report_seconds`; holds the run to `rows_per_second` when capped."""

    def __init__(self, worker: ExportWorker, run: Run, total: int, position: int) -> None:
        self.worker, self.run, self.total, self.position = worker, run, total, position
        self.written = 0
        self._last = 0.0
        self._began = time.monotonic()

    def add(self, rows: int) -> None:
        self.written += rows
        if self.worker.config.rows_per_second:
            ahead = (self.written / self.worker.config.rows_per_second
                     - (time.monotonic() - self._began))
            if ahead > PACE_SECONDS:
                time.sleep(ahead)
        if time.monotonic() - self._last >= self.worker.config.report_seconds:
            self.report()

    def report(self) -> None:
        self._last = time.monotonic()
        lease_until = self.worker.clock() + self.worker.config.lease
        kept = self.worker.registry.run(lambda cur: export_runs.report(
            cur, self.run.id, self.worker.name, self.written, self.total, self.position,
            lease_until))
        if not kept:
            raise LeaseLost(str(self.run.id))


OUTCOMES = ("succeeded", "failed", "released", "lost")
"""How a worker's attempt at a run ends: written, failed for good, put back in the queue
after a database failure, or taken over by another worker."""


class ExportWorker:
    """Runs exports from the registry's queue."""

    def __init__(self, registry: Database, view: View, config: WorkerConfig,
                 event_store: PersonalData,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.registry, self.view, self.config = registry, view, config
        self.event_store = event_store
        self._withdrawn: set[UUID] = set()
        self.clock = clock
        self.name = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.answering = True
        """Whether the registry answered the worker's last look for runs."""
        for outcome in OUTCOMES:
            metrics.EXPORTS.labels(outcome)  # a series from the start, at 0
        config.folder.mkdir(parents=True, exist_ok=True)

    def run(self, stop: threading.Event) -> None:
        """Take runs until `stop` is set, sweeping now and then."""
        swept = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() - swept >= self.config.sweep_seconds:
                    self.sweep()
                    swept = time.monotonic()
                self.answering = True
                if self.work_once():
                    continue
            except (psycopg.OperationalError, sqlite3.OperationalError) as error:
                self.answering = False
                log.warning("exports: the registry does not answer: %s", error)
            stop.wait(self.config.poll_seconds)

    def work_once(self) -> bool:
        """Take one run and write it; False when none waits."""
        now = self.clock()
        taken = self.registry.run(
            lambda cur: export_runs.claim(cur, self.name, now, self.config.lease))
        if taken is None:
            return False
        log.info("export %s: attempt %d", taken.id, taken.attempts)
        with metrics.EXPORTS_RUNNING.track_inprogress():
            metrics.EXPORTS.labels(self._execute(taken)).inc()
        return True

    def _execute(self, run: Run) -> str:
        """Write `run`'s file and record how it ended: its outcome (succeeded, failed,
        released back to the queue, or lost to another worker)."""
        final = self.config.folder / f"{run.id}.{run.attempts}.{run.definition.format.value}"
        part = final.with_name(final.name + ".part")
        try:
            rows, position, disclosed = self._write(run, part)
        except LeaseLost:
            log.warning("export %s: taken over by another worker", run.id)
            part.unlink(missing_ok=True)
            return "lost"
        except (psycopg.OperationalError, sqlite3.OperationalError) as error:
            log.warning("export %s: the database failed, the run goes back to the queue: %s",
                        run.id, error)
            part.unlink(missing_ok=True)
            failure = f"the database failed: {error}"
            self.registry.run(lambda cur: export_runs.release(cur, run.id, self.name, failure,
                                                              self.clock()))
            return "released"
        except Exception as error:
            if not isinstance(error, Refused):
                log.exception("export %s failed", run.id)
            part.unlink(missing_ok=True)
            reason = str(error) if isinstance(error, Refused) else f"the export failed: {error}"
            self.registry.run(lambda cur: export_runs.fail(cur, run.id, self.name, reason,
                                                           self.clock()))
            return "failed"
        etag = synced(part)
        os.replace(part, final)
        written = Written(final.name, final.stat().st_size, etag, rows)
        now = self.clock()

        def finish(cur: Cursor) -> bool:
            if not export_runs.succeed(cur, run.id, self.name, written, now,
                                       now + self.config.ttl):
                return False
            pairs = disclosed.pairs()
            while chunk := list(islice(pairs, DISCLOSED_BATCH)):
                export_runs.disclose(cur, run, chunk, position, now)
            return True

        if not self.registry.run(finish):
            log.warning("export %s: taken over before it finished", run.id)
            final.unlink(missing_ok=True)
            return "lost"
        log.info("export %s: %d rows, %d bytes", run.id, rows, written.size)
        metrics.EXPORT_ROWS.inc(rows)
        return "succeeded"

    def _write(self, run: Run, part: Path) -> tuple[int, int, Disclosed]:
        """Write the run's file at `part`: the rows, the position they reflect, and whom
        they disclosed."""
        definition = run.definition
        with self.view.held() as view:
            today = date.today()
            position = progress.reached(view.cursor, (SUMMARY,), self.config.source,
                                        self.config.partitions)
            view.cursor.execute(*exports.count_query(definition, today, view.kind))
            total = int(view.cursor.fetchone()[0])
            if definition.format is exports.Format.XLSX and total > exports.XLSX_MAX_ROWS:
                raise Refused(f"{total} rows do not fit in a worksheet (at most "
                              f"{exports.XLSX_MAX_ROWS}); export them as csv or ndjson")
            counted = _Progress(self, run, total, position)
            counted.report()
            disclosed = Disclosed()
            if view.kind is StoreKind.POSTGRES and definition.format is not \
                    exports.Format.XLSX and not definition.personal:
                rows = self._copied(view, definition, today, part, counted)
            else:
                rows = self._converted(view, definition, today, part, counted, disclosed)
            counted.written = rows
            counted.report()
        return rows, position, disclosed

    def _copied(self, view: Held, definition: exports.Definition, today: date, part: Path,
                counted: _Progress) -> int:
        """PostgreSQL writes the lines (COPY); the file holds them as they come."""
        with part.open("wb") as file:
            file.write(copy_header(definition.format, definition.columns))
            for lines in write_chunks(file, view.copied(*exports.copy_query(definition,
                                                                             today))):
                counted.add(lines)
        return counted.written

    def _converted(self, view: Held, definition: exports.Definition, today: date, part: Path,
                   counted: _Progress, disclosed: Disclosed) -> int:
        """Rows a batch at a time through the format's writer, personal values looked up
        per batch."""
        writer = WRITERS[definition.format](part, definition.columns)
        picks = [SUMMARY_COLUMNS.index(c) if c in SUMMARY_COLUMNS else c
                 for c in definition.columns]
        try:
            for batch in view.batches(*exports.rows_query(definition, today, view.kind)):
                found = self._personal(batch, disclosed) if definition.personal else {}
                writer.write([_values(row, picks, found) for row in batch])
                counted.add(len(batch))
        finally:
            writer.close()
        return counted.written

    def _personal(self, batch: Sequence[Sequence[Any]],
                  disclosed: Disclosed) -> dict[UUID, dict[str, str | None]]:
        agents = [(row[_AGENT_ID], int(row[_VERSION])) for row in batch]
        for agent, version in agents:
            disclosed.add(agent, version)
        return self.event_store.personal(agents)

    def sweep(self) -> int:
        """Expire runs past their time, withdraw those that disclosed an agent erased since,
        and remove every file no succeeded run serves (left by killed workers) once it is
        older than a lease; how many files went."""
        now = self.clock()
        expired = self.registry.run(lambda cur: export_runs.expire(cur, now))
        erased = [a for a in self.event_store.erased() if a not in self._withdrawn]
        if erased:
            expired += self.registry.run(lambda cur: export_runs.withdraw(cur, erased))
            self._withdrawn.update(erased)
        for name in expired:
            (self.config.folder / name).unlink(missing_ok=True)
        served = self.registry.run(export_runs.served_files)
        stale = time.time() - self.config.lease.total_seconds()
        left = [path for path in self.config.folder.iterdir()
                if path.name not in served and path.is_file() and path.stat().st_mtime < stale]
        for path in left:
            path.unlink(missing_ok=True)
        return len(expired) + len(left)


def _values(row: Sequence[Any], picks: Sequence[int | str],
            found: dict[UUID, dict[str, str | None]]) -> list[Any]:
    """The row's values in the export's columns: a summary column by index, a personal one
    from `found`."""
    return [row[p] if isinstance(p, int)
            else found[row[_AGENT_ID]][exports.PERSONAL[p]] for p in picks]
