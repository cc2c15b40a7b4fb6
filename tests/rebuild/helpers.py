"""What the rebuild tests share: a populated store, the consumers running and caught up,
readers that must never fail, and the fold of the whole log."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from commands.errors import DomainError
from commands.service import AgentService
from consumers.log import EventLog
from projections import generations, progress
from projections.envelope import Envelope
from projections.generations import Generation
from roster import demo, pipeline
from roster.settings import Settings, Store
from roster.wiring import read_api
from tests.folds import assert_equals_fold
from tests.pipeline.conftest import Roster
from tests.pipeline.workload import Workload, wait_for
from webkit.auth import Role, issue_token

DEMO_NUMBERS = 500_000
"""Where the demo population's identity numbers start, clear of those `onboard_body` draws."""


def populate(service: AgentService, agents: int) -> list[UUID]:
    """A demo population of `agents` (an 8-level hierarchy); their ids."""
    demo.fill(service, agents, seed=3, first=DEMO_NUMBERS,
              advance=lambda _: None)
    return sorted({e.agent_id for e in whole_log(service)})


def whole_log(service: AgentService) -> list[Envelope]:
    """Every agent event in the store, in log order."""
    events, after = EventLog(service), 0
    found: list[Envelope] = []
    while True:
        page = events.read(after, 5000)
        if page.last_position == after:
            return found
        found += page.envelopes
        after = page.last_position


def start_consumers(settings: Settings, roster: Roster) -> None:
    """The live pipeline as deployed: relay and consumer group on Kafka, or one consumer
    reading the log."""
    if settings.store is Store.POSTGRES:
        roster.start("relay")
    roster.start("consume")


def running(settings: Settings, service: AgentService, roster: Roster, agents: int) -> list[UUID]:
    """A demo population of `agents` with the consumers running and caught up; their ids."""
    made = populate(service, agents)
    start_consumers(settings, roster)
    assert caught_up(settings, service), "the consumers applied the population"
    return made


def reached(settings: Settings) -> int:
    """The position every projection's live generation has reached."""
    source, partitions = settings.tracking_source()
    database = pipeline.serving(settings)
    try:
        return database.run(lambda cur: progress.reached(
            cur, [p.name for p in pipeline.projections()], source, partitions))
    except Exception:
        return 0
    finally:
        database.close()


def caught_up(settings: Settings, service: AgentService, timeout: float = 120) -> bool:
    """Wait until every projection has applied the whole log."""
    head = EventLog(service).head()
    return wait_for(lambda: reached(settings) >= head, timeout=timeout)


def registry(settings: Settings) -> list[Generation]:
    """Every generation as the registry lists it."""
    store = pipeline.generations(settings)
    try:
        return store.registry.run(generations.listed)
    finally:
        store.registry.close()


def assert_whole_log_folded(settings: Settings, service: AgentService) -> None:
    """Every read model equals the fold of the whole log."""
    log = whole_log(service)
    database = pipeline.serving(settings)
    assert_equals_fold(database, log, {e.agent_id for e in log})
    database.close()


@contextmanager
def writing(service: AgentService, per_second: float = 40) -> Iterator[Workload]:
    """A steady stream of commands on a thread, stopped when the block ends."""
    workload = Workload(service, seed=11)
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            with contextlib.suppress(DomainError):  # a demo agent's PAN drawn again
                workload.step()
            stop.wait(1 / per_second)
    thread = threading.Thread(target=write)
    thread.start()
    try:
        yield workload
    finally:
        stop.set()
        thread.join()


def operations_page(settings: Settings) -> dict[str, Any]:
    """`GET /v1/ops/projections` as an operator sees it."""
    token = issue_token(settings.jwt_secret.get_secret_value(), "olga", Role.OPERATOR, 600)
    with TestClient(read_api(settings)) as client:
        answer = client.get("/v1/ops/projections", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


class Readers:
    """A thread reading search, profile, timeline and dashboard through the read API, again
    and again, keeping every answer that is not a 200."""

    def __init__(self, settings: Settings, agents: list[UUID]) -> None:
        self.failures: list[str] = []
        self.reads = 0
        self._agents = agents
        self._client = TestClient(read_api(settings))
        token = issue_token(settings.jwt_secret.get_secret_value(), "reader", Role.VIEWER, 3600)
        self._client.headers["Authorization"] = f"Bearer {token}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            agent = self._agents[n % len(self._agents)]
            for path in ("/v1/agents?q=kulkarni&limit=20", f"/v1/agents/{agent}",
                         f"/v1/agents/{agent}/timeline", "/v1/dashboard"):
                answer = self._client.get(path)
                self.reads += 1
                if answer.status_code != 200:
                    self.failures.append(f"{path}: {answer.status_code} {answer.text[:200]}")
            n += 1

    def __enter__(self) -> Readers:
        self._client.__enter__()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._client.__exit__(None, None, None)
