"""Group commit on the embedded store: concurrent commands share transactions, and a command
that read a stale state, or collides with another of its group, fails alone."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from commands import models
from commands.group_commit import GroupCommitter
from commands.records import UniqueKey
from commands.service import AgentService, Request
from roster.settings import Store
from tests.builders import onboard_body
from tests.conftest import make_settings, service_on

CLERK = Request.by("clerk", "test")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[AgentService]:
    settings = make_settings(store=Store.SQLITE, data_dir=tmp_path, group_commit_window_ms=20)
    with service_on(settings) as made:
        yield made


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run `calls` on threads started together; each one's result or exception."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = calls[index]()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def claim(service: AgentService, value: str) -> list[StoredEvent]:
    """The stored events of a fresh claim of `value`."""
    key = UniqueKey(kind="test", digest=value, owner_id=UniqueKey.create_id("test", value))
    return [service.mapper.to_stored_event(e) for e in key.collect_events()]


def test_concurrent_commands_share_transactions(service: AgentService) -> None:
    def onboard() -> int:
        return service.onboard(models.OnboardAgent(**onboard_body()), CLERK).position

    positions = at_once(*[onboard] * 16)
    assert all(isinstance(p, int) for p in positions), positions
    assert len(set(positions)) == 16
    committer = service.committer
    assert committer is not None
    assert committer.groups < 16


def test_a_stale_command_fails_alone_and_the_rest_of_its_group_commits(
    service: AgentService,
) -> None:
    agent = service.onboard(models.OnboardAgent(**onboard_body()), CLERK).agent_id
    stale = list(service.recorder.select_events(agent, lte=1))
    with closing(GroupCommitter(service.keyed_recorder, 100, 0.5)) as committer:
        fresh = claim(service, "fresh")
        outcomes = at_once(lambda: committer.commit(stale, {}),
                           lambda: committer.commit(fresh, {}))
        assert committer.groups == 1
    assert isinstance(outcomes[0], IntegrityError)
    assert isinstance(outcomes[1], list)
    assert [n.id for n in service.recorder.select_notifications(outcomes[1][0], 1)] == outcomes[1]


def test_of_two_commands_writing_the_same_version_in_one_group_the_later_fails(
    service: AgentService,
) -> None:
    events = claim(service, "twice")
    with closing(GroupCommitter(service.keyed_recorder, 100, 0.5)) as committer:
        outcomes = at_once(lambda: committer.commit(events, {}),
                           lambda: committer.commit(events, {}))
        assert committer.groups == 1
    assert sorted(type(o).__name__ for o in outcomes) == ["IntegrityError", "list"]
    assert len(list(service.recorder.select_events(events[0].originator_id))) == 1


def test_a_closed_committer_writes_what_was_queued(service: AgentService) -> None:
    committer = GroupCommitter(service.keyed_recorder, 100, 0.2)
    events = claim(service, "queued")
    results = at_once(lambda: committer.commit(events, {}), committer.close)
    assert isinstance(results[0], list)
    assert list(service.recorder.select_events(events[0].originator_id))


def test_a_failing_count_of_groups_fails_no_command(service: AgentService) -> None:
    committer = service.committer
    assert committer is not None

    def broken(_: int) -> None:
        raise RuntimeError("metrics down")

    committer.on_group = broken
    result = service.onboard(models.OnboardAgent(**onboard_body()), CLERK)
    assert result.version >= 1
