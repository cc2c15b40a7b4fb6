"""Group commit: the events of commands that arrive together go to the event store in one
transaction (one table lock, one commit), and each command gets its own answer.

A command hands its stored events to `GroupCommitter.commit` and waits. One thread takes what
has queued up (at most `max_events` events, waiting up to `window` seconds for more) and
inserts it at once. A command whose events collide with an earlier one of the same group (the
same aggregate at the same version: both read the same state) or with the log (it read a state
that has moved on since) fails alone with `IntegrityError`, as it would have alone; the rest of
the group is committed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent

log = logging.getLogger(__name__)

Slot = tuple[UUID, int]
"""An aggregate's id and one of its versions: where an event goes in the log."""

ROUNDS = 3
"""How often a group is written again without the commands found stale, before the rest are
written one by one."""


class Recorder(Protocol):
    """What the committer needs of the event store's recorder."""

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        """Insert the events in one transaction; their notification ids, in order."""

    def taken(self, slots: Sequence[Slot]) -> set[Slot]:
        """Those of `slots` that hold an event already."""


def slot_of(event: StoredEvent) -> Slot:
    """Where `event` goes in the log."""
    originator = event.originator_id
    return (originator if isinstance(originator, UUID) else UUID(originator),
            event.originator_version)


@dataclass(eq=False)
class _Submission:
    """One command's events and data-key changes, and the answer it waits for."""

    events: Sequence[StoredEvent]
    key_changes: dict[UUID, Any]
    done: Future[list[int]] = field(default_factory=Future)

    @cached_property
    def slots(self) -> frozenset[Slot]:
        """Where its events go."""
        return frozenset(map(slot_of, self.events))


def _stale(slots: Iterable[Slot]) -> IntegrityError:
    return IntegrityError(f"a concurrent command wrote first at {sorted(slots)[0]}")


class GroupCommitter:
    """Writes the events of concurrent commands together; see the module's docstring."""

    def __init__(self, recorder: Recorder, max_events: int, window: float) -> None:
        self._recorder = recorder
        self._max_events = max_events
        self._window = window
        self._queue: queue.SimpleQueue[_Submission | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        self.groups = 0
        """How many groups were gathered (each written in one transaction, or fewer when
        some of its commands were found stale)."""
        self.on_group: Callable[[int], None] | None = None
        """Told the number of commands of each group before it is written (for metrics)."""

    def commit(self, events: Sequence[StoredEvent],
               key_changes: dict[UUID, Any]) -> list[int]:
        """Write `events` (with the data-key changes that go with them) in the next group;
        their notification ids. `IntegrityError` when another command took one of their
        versions first."""
        submission = _Submission(events, key_changes)
        self._start()
        self._queue.put(submission)
        return submission.done.result()

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        with self._starting:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _start(self) -> None:
        if self._thread is None:
            with self._starting:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="group-commit",
                                                    daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            group, stopping = self._gather(first)
            self.groups += 1
            self._tell(len(group))
            try:
                self._write(group)
            except Exception as error:  # every waiting command gets the failure
                for submission in group:
                    if not submission.done.done():
                        submission.done.set_exception(error)

    def _tell(self, commands: int) -> None:
        """Tell `on_group` of a group; its failure is logged, never the commands'."""
        if self.on_group is not None:
            try:
                self.on_group(commands)
            except Exception:
                log.exception("counting a group commit failed")

    def _gather(self, first: _Submission) -> tuple[list[_Submission], bool]:
        """`first` and what queues up behind it; whether the committer was told to stop."""
        group, size = [first], len(first.events)
        deadline = time.monotonic() + self._window
        while size < self._max_events:
            wait = deadline - time.monotonic()
            try:
                more = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                return group, True
            group.append(more)
            size += len(more.events)
        return group, False

    def _write(self, group: list[_Submission]) -> None:
        writing = self._apart(group)
        for _ in range(ROUNDS):
            if not writing:
                return
            try:
                ids = self._insert(writing)
            except IntegrityError:
                taken = self._recorder.taken(sorted(set().union(*(s.slots for s in writing))))
                stale = [s for s in writing if s.slots & taken]
                if not stale:
                    break
                for submission in stale:
                    submission.done.set_exception(_stale(submission.slots & taken))
                writing = [s for s in writing if not s.slots & taken]
                continue
            self._answer(writing, ids)
            return
        for submission in writing:
            self._write_alone(submission)

    @staticmethod
    def _apart(group: list[_Submission]) -> list[_Submission]:
        """The submissions that collide with no earlier one of the group; the others fail."""
        kept: list[_Submission] = []
        used: set[Slot] = set()
        for submission in group:
            if clash := submission.slots & used:
                submission.done.set_exception(_stale(clash))
                continue
            used |= submission.slots
            kept.append(submission)
        return kept

    def _insert(self, writing: list[_Submission]) -> Sequence[int]:
        events = [e for s in writing for e in s.events]
        changes = {agent: c for s in writing for agent, c in s.key_changes.items()}
        ids = self._recorder.insert_events(events, key_changes=changes)
        if ids is None or len(ids) != len(events):
            raise AssertionError("the recorder must return every event's notification id")
        return ids

    def _write_alone(self, submission: _Submission) -> None:
        try:
            ids = self._insert([submission])
        except IntegrityError as error:
            submission.done.set_exception(error)
            return
        self._answer([submission], ids)

    @staticmethod
    def _answer(written: list[_Submission], ids: Sequence[int]) -> None:
        start = 0
        for submission in written:
            end = start + len(submission.events)
            submission.done.set_result(list(ids[start:end]))
            start = end
