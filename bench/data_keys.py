"""Per-agent data keys against whole-event encryption only: onboarding rate through the
application service, the as-of read path (an agent's history from the event store, then
folded), and reading the whole log a page at a time as the relay and a rebuild do (a fresh
service, so every key is fetched and unwrapped) — on PostgreSQL and on SQLite, the two variants
interleaved run by run in one process.

    .venv/bin/python -m bench.data_keys [--onboardings 400] [--reads 300] [--runs 5]

The baseline is the same service with a plain mapper (personal fields only under the store's
whole-event cipher) and no key lookups; target: per-agent keys within 15 % of it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Mapper

from bench.embedded import fresh
from commands import models
from commands.data_keys import DataKeys, MasterKey, StoredKey
from commands.service import AgentService, Request
from consumers.log import EventLog
from projections import replay
from roster.settings import Settings, Store
from tests.builders import onboard_body

BY = Request.by("bench", "bench")
EDITS = 7
"""Profile edits after onboarding and approval: agents of ten events for the as-of reads."""


class _NoKeys:
    """A keys table that holds nothing and is never asked (the baseline's)."""

    def create(self) -> None:
        """Nothing to create."""

    def fetch(self, agent_ids: Sequence[UUID]) -> dict[UUID, StoredKey]:
        """No keys."""
        return {}

    def destroy(self, agent_id: UUID) -> None:
        """Never called."""

    def rewrap(self, change: Callable[[UUID, StoredKey], StoredKey | None]) -> int:
        """Never called."""
        return 0

    def tombstones(self) -> list[UUID]:
        """None."""
        return []


class WholeEventOnly(AgentService):
    """The service as it was before per-agent keys: a plain mapper, no key lookups."""

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's own mapper (the store's cipher over the whole event)."""
        mapper = Application.construct_mapper(self)
        self._keys_table = _NoKeys()
        self.data_keys = DataKeys(self._keys_table, [MasterKey(b"\0" * 32)], ttl=0)
        return mapper


def _onboard_rate(service: AgentService, count: int) -> float:
    """Onboardings per second, one after another."""
    bodies = [models.OnboardAgent(**onboard_body()) for _ in range(count)]
    began = time.perf_counter()
    for body in bodies:
        service.onboard(body, BY)
    return count / (time.perf_counter() - began)


def _ten_event_agent(service: AgentService) -> UUID:
    agent = service.onboard(models.OnboardAgent(**onboard_body()), BY).agent_id
    service.approve(agent, BY)
    for k in range(EDITS):
        service.update(agent, models.UpdateAgent(phone=f"98765{k:05d}",
                                                 office_code=f"OF{k:03d}"), BY)
    return agent


def _log_rate(settings: Settings, variant: type[AgentService]) -> float:
    """Events per second reading the whole log in pages of 1,000 with a fresh service."""
    service = variant(settings.event_store_env(), settings.index_key)
    log, after, events = EventLog(service), 0, 0
    began = time.perf_counter()
    while (page := log.read(after, 1000)).last_position != after:
        events += len(page.envelopes)
        after = page.last_position
    taken = time.perf_counter() - began
    service.close()
    return events / taken


def _as_of_ms(service: AgentService, agent: UUID, reads: int) -> float:
    """The median time of reading the agent's history and folding it to its fifth version."""
    log = EventLog(service)
    taken = []
    for _ in range(reads):
        began = time.perf_counter()
        assert replay.at_version(log.history(agent), 5) is not None
        taken.append(time.perf_counter() - began)
    return statistics.median(taken) * 1000


def measure(kind: Store, onboardings: int, reads: int, runs: int) -> dict[str, list[float]]:
    """Each variant's onboarding rate, as-of median and log rate, run after run, alternating;
    each variant on a store of its own."""
    found: dict[str, list[float]] = {}
    with fresh(kind) as keyed, fresh(kind) as whole:
        stores: dict[type[AgentService], Settings] = {AgentService: keyed,
                                                      WholeEventOnly: whole}
        for run in range(runs):
            order = (AgentService, WholeEventOnly) if run % 2 else (WholeEventOnly, AgentService)
            for variant in order:
                settings = stores[variant]
                service = variant(settings.event_store_env(), settings.index_key)
                _onboard_rate(service, 20)
                found.setdefault(f"{variant.__name__} onboard", []).append(
                    _onboard_rate(service, onboardings))
                agent = _ten_event_agent(service)
                found.setdefault(f"{variant.__name__} as-of", []).append(
                    _as_of_ms(service, agent, reads))
                service.close()
                found.setdefault(f"{variant.__name__} log", []).append(
                    _log_rate(settings, variant))
            print(f"{kind.value}: run {run + 1} of {runs}", file=sys.stderr, flush=True)
    return found


def main() -> None:
    """Measure both stores, print a table of medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--onboardings", type=int, default=400)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stores", default="postgres,sqlite")
    args = parser.parse_args()
    print(f"\n{args.runs} runs per variant, alternating; {args.onboardings} onboardings per run "
          f"(one at a time); as-of: median of {args.reads} reads of a ten-event agent")
    print("| store | measure | whole-event only | per-agent keys | ratio |")
    print("| --- | --- | ---: | ---: | ---: |")
    for kind in (Store(s) for s in args.stores.split(",")):
        found = {k: statistics.median(v) for k, v in
                 measure(kind, args.onboardings, args.reads, args.runs).items()}
        for key, name, digits in (("onboard", "onboardings/s", 0), ("as-of", "as-of ms", 2),
                                  ("log", "log events/s read", 0)):
            base, keyed = found[f"WholeEventOnly {key}"], found[f"AgentService {key}"]
            print(f"| {kind.value} | {name} | {base:.{digits}f} | {keyed:.{digits}f} | "
                  f"{keyed / base:.2f} |")


if __name__ == "__main__":
    os.environ.setdefault("ROSTER_LOG_LEVEL", "WARNING")
    main()
