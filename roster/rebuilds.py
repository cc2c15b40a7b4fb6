"""What `roster rebuild` and `roster verify` show and how they share out the work: a progress
bar per projection, the generations' status, and worker processes that each rebuild (or
verify) a share of the projections."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from consumers import metrics
from consumers.rebuild import Report
from projections.generations import Generation, State

COST = {"agent_profile": 24, "audit_log": 27, "dashboard": 7, "agent_summary": 21,
        "timeline": 17, "hierarchy": 9, "notifications": 9}
"""Microseconds of one core each projection spends per log event in a rebuild (measured by
`bench/rebuild.py`; the profile fold that `agent_profile`, `audit_log` and `dashboard` share is
counted once, in `agent_profile`), to give worker processes equal shares. Every worker also
reads and decodes the whole log."""

TOGETHER = frozenset({"agent_profile", "audit_log", "dashboard"})
"""Projections one worker rebuilds together, as they fold the same profile once per event."""


class ProgressBars:
    """One bar per projection: log positions applied of the head, events/s, time left."""

    def __init__(self, projections: Sequence[str], shown: bool = True) -> None:
        self._shown = shown
        self._progress = Progress(
            TextColumn("{task.description:<13} g{task.fields[generation]:<2} "
                       "{task.fields[phase]:<8}"),
            BarColumn(bar_width=12), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>7,.0f} ev/s ETA"), TimeRemainingColumn(),
        )
        self._tasks: dict[str, TaskID] = {
            name: self._progress.add_task(name, total=None, generation="?", phase="starting",
                                          rate=0.0)
            for name in projections}

    def __enter__(self) -> ProgressBars:
        if self._shown:
            self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._shown:
            self._progress.stop()

    def update(self, report: Report) -> None:
        """Show the latest report of one projection."""
        self._progress.update(self._tasks[report.projection], total=report.head,
                              completed=min(report.position, report.head),
                              generation=report.generation, phase=report.phase,
                              rate=report.rate)


def status_lines(found: Sequence[Generation]) -> list[str]:
    """The generations as a table: the live one of each projection, any kept, any under
    construction (a rebuild's, a verification's, a snapshot's) with its progress and rate."""
    lines = [f"{'projection':<14} {'gen':>3} {'ver':>3} {'state':<9} {'position':>10} "
             f"{'of':>10} {'ev/s':>8}  since"]
    for g in found:
        moment = g.switched_at if g.state in (State.LIVE, State.KEPT) else g.started_at
        lines.append(f"{g.projection:<14} {g.number:>3} {g.version:>3} {g.state.value:<9} "
                     f"{g.position:>10} {g.target:>10} {g.rate:>8,.0f}  "
                     f"{moment.isoformat(timespec='seconds') if moment else '-'}")
    if len(lines) == 1:
        lines.append("(no generations yet: start `roster consume` or `roster dev`)")
    return lines


def shares(projections: Sequence[str], workers: int) -> list[list[str]]:
    """`projections` split into at most `workers` groups of about equal cost, heaviest first,
    those that fold the profile in one group."""
    together = sorted(TOGETHER.intersection(projections))
    units = ([together] if together else []) + [[n] for n in projections if n not in TOGETHER]
    units.sort(key=lambda unit: -sum(COST.get(n, 20) for n in unit))
    groups: list[list[str]] = [[] for _ in range(min(workers, len(units)))]
    loads = [0] * len(groups)
    for unit in units:
        lightest = loads.index(min(loads))
        groups[lightest] += unit
        loads[lightest] += sum(COST.get(n, 20) for n in unit)
    return [g for g in groups if g]


def _die_with_parent() -> None:
    """In a worker, before it runs: be killed when the parent dies (Linux), so a killed
    `roster rebuild` leaves no worker behind."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_workers(job: str, groups: list[list[str]], flags: list[str],
                registry: Callable[[], list[Generation]], bars: ProgressBars) -> list[Finished]:
    """Run one `roster JOB` (`rebuild` or `verify`) per group side by side, showing their
    progress from the registry; each one's exit code and output."""
    started = time.time()
    state = State.VERIFYING if job == "verify" else State.BUILDING
    command = [sys.executable, "-m", "roster", job, *flags, "--workers", "1", "--quiet"]
    with contextlib.ExitStack() as files:
        outputs = [files.enter_context(tempfile.TemporaryFile()) for _ in groups]
        workers = [subprocess.Popen([*command, *group],  # noqa: S603 - names from the catalog
                                    stdout=out, preexec_fn=_die_with_parent)
                   for group, out in zip(groups, outputs, strict=True)]
        _follow(workers, [name for group in groups for name in group], registry, bars,
                started, state)
        for out in outputs:
            out.seek(0)
        return [Finished(w.returncode, out.read().decode())
                for w, out in zip(workers, outputs, strict=True)]


def _follow(workers: list[subprocess.Popen[bytes]], names: list[str],
            registry: Callable[[], list[Generation]], bars: ProgressBars, started: float,
            state: State) -> None:
    """Show the workers' progress from the registry until they have all ended (a rebuild's
    also in its metrics)."""
    applied = dict.fromkeys(names, 0)
    while True:
        finished = all(w.poll() is not None for w in workers)
        for report in progress_of(registry(), names, started, state):
            bars.update(report)
            if state is State.BUILDING:
                metrics.REBUILD_EVENTS.labels(report.projection).inc(
                    max(0, report.position - applied[report.projection]))
                applied[report.projection] = max(applied[report.projection], report.position)
                metrics.REBUILD_PROGRESS.labels(report.projection).set(
                    min(1.0, report.position / report.head) if report.head else 0.0)
        if finished:
            return
        time.sleep(0.25)


@dataclass(frozen=True)
class Finished:
    """A worker's exit code and what it printed."""

    code: int
    output: str


def progress_of(found: list[Generation], names: Sequence[str], since: float,
                state: State = State.BUILDING) -> list[Report]:
    """A report per projection from the registry: its generation in `state` (being built or
    verified), or the one that went live since `since` (epoch seconds)."""
    reports = []
    for name in names:
        mine = [g for g in found if g.projection == name]
        building = next((g for g in mine if g.state is state), None)
        live = next((g for g in mine if g.state is State.LIVE), None)
        if building is not None:
            reports.append(Report(name, building.number, state.value, building.position,
                                  building.target, building.rate))
        elif live is not None and live.switched_at and live.switched_at.timestamp() >= since:
            metrics.PROJECTION_GENERATION.labels(name).set(live.number)
            reports.append(Report(name, live.number, "live", live.position, live.target,
                                  live.rate))
    return reports
