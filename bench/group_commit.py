"""Group commit in-process, on both stores: onboardings/s and commands per group with 32
threads for each window, and one command at a time (latency), with group commit off and on.
Medians of `--runs` runs, each on a fresh store.

    .venv/bin/python -m bench.group_commit [--commands 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.write_throughput import fresh_schema
from commands import models
from commands.service import AgentService, Request
from roster.settings import Store
from tests.builders import onboard_body
from tests.conftest import make_settings, service_on

THREADS = 32
ALONE = 200
"""Onboardings one after another for the latency."""
CLERK = Request.by("bench", "group-commit")
WINDOWS = (0.0, 1.0, 3.0)


@contextmanager
def service(store: Store, **fields: Any) -> Iterator[AgentService]:
    """The service on a fresh store with these settings."""
    if store is Store.POSTGRES:
        with fresh_schema() as base, service_on(base.model_copy(update=fields)) as made:
            yield made
        return
    with tempfile.TemporaryDirectory() as folder, service_on(make_settings(
            store=store, data_dir=Path(folder), **fields)) as made:
        yield made


def onboard(on: AgentService) -> Callable[[models.OnboardAgent], object]:
    """Onboarding through `on`."""
    return lambda command: on.onboard(command, CLERK)


def concurrent(store: Store, commands: int, **fields: Any) -> tuple[float, float]:
    """Onboardings/s on `THREADS` threads, and commands per group (0 with group commit off)."""
    made = [models.OnboardAgent(**onboard_body()) for _ in range(commands + 100)]
    with service(store, **fields) as on, ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(onboard(on), made[:100]))
        groups = on.committer.groups if on.committer else 0
        started = time.perf_counter()
        list(pool.map(onboard(on), made[100:]))
        rate = commands / (time.perf_counter() - started)
        per_group = commands / (on.committer.groups - groups) if on.committer else 0.0
    return rate, per_group


def alone(store: Store, **fields: Any) -> float:
    """Milliseconds per onboarding, one after another."""
    made = [models.OnboardAgent(**onboard_body()) for _ in range(ALONE + 20)]
    with service(store, **fields) as on:
        for command in made[:20]:
            on.onboard(command, CLERK)
        started = time.perf_counter()
        for command in made[20:]:
            on.onboard(command, CLERK)
    return (time.perf_counter() - started) / ALONE * 1000


def main() -> None:
    """Measure every case `--runs` times and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cases: dict[str, dict[str, Any]] = {"off": {"group_commit": False}} | {
        f"on, window {w:g} ms": {"group_commit": True, "group_commit_window_ms": w}
        for w in WINDOWS}
    rows: dict[tuple[Store, str], list[tuple[float, float, float]]] = {}
    for _ in range(args.runs):
        for store in (Store.POSTGRES, Store.SQLITE):
            for name, fields in cases.items():
                rate, per_group = concurrent(store, args.commands, **fields)
                rows.setdefault((store, name), []).append((rate, per_group,
                                                           alone(store, **fields)))
    print(f"\nonboardings in-process, {THREADS} threads x {args.commands} and {ALONE} one "
          f"after another, median of {args.runs} runs\n")
    print("| store | group commit | onboardings/s | commands per group | ratio to off | "
          "ms alone |")
    print("|---|---|---:|---:|---:|---:|")
    for store in (Store.POSTGRES, Store.SQLITE):
        base = statistics.median(r[0] for r in rows[(store, "off")])
        for name in cases:
            rate, per_group, ms = (statistics.median(r[i] for r in rows[(store, name)])
                                   for i in range(3))
            groups = f"{per_group:.1f}" if per_group else "-"
            print(f"| {store.value} | {name} | {rate:,.0f} | {groups} | {rate / base:.2f} | "
                  f"{ms:.2f} |")


if __name__ == "__main__":
    main()
