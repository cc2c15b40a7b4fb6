"""Requests that ask for the reached position together share one read of it, and its failure."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pytest

from projections.db import Cursor
from readapi.config import ReadApiConfig
from readapi.errors import ReadStoreUnavailable
from readapi.store import ReadStore
from webkit.auth import Verifier

T = TypeVar("T")


class _Reader:
    """A reader whose queries see no cursor (the store's own read is replaced below)."""

    def read(self, query: Callable[[Any], T]) -> T:
        return query(None)

    def read_held(self, held: Sequence[Any], query: Callable[[Any], T]) -> T:
        return query(None)

    def pool_stats(self) -> dict[str, int]:
        return {}

    def close(self) -> None:
        """Nothing to release."""


class _Counted(ReadStore):
    """A read store whose read of the reached position takes 50 ms, counted."""

    def __init__(self, fails: bool = False) -> None:
        super().__init__(_Reader(), None, ReadApiConfig(
            verifier=Verifier.of("a-secret-of-at-least-thirty-two-characters!"),
            source="log", partitions=1))
        self.reads = 0
        self.fails = fails
        self._lock = threading.Lock()

    def _read_reached(self, cur: Cursor, projections: Sequence[str]) -> int:
        with self._lock:
            self.reads += 1
        time.sleep(0.05)
        if self.fails:
            raise ReadStoreUnavailable
        return 42


def test_thirty_two_requests_at_once_read_the_position_once() -> None:
    store = _Counted()

    async def ask() -> list[int]:
        return await asyncio.gather(*(store.reached(["agent_summary"]) for _ in range(32)))

    assert asyncio.run(ask()) == [42] * 32
    assert store.reads == 1


def test_a_failed_shared_read_fails_every_request_sharing_it() -> None:
    store = _Counted(fails=True)

    async def ask() -> list[int | BaseException]:
        return await asyncio.gather(*(store.reached(["agent_summary"]) for _ in range(8)),
                                    return_exceptions=True)

    answers = asyncio.run(ask())
    assert all(isinstance(a, ReadStoreUnavailable) for a in answers)
    assert store.reads == 1
    with pytest.raises(ReadStoreUnavailable):
        asyncio.run(store.reached(["agent_summary"]))
    assert store.reads == 2, "a failure is not kept: the next request reads again"
