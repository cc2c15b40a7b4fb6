"""What `roster rebuild` shows: a progress bar per projection, and the generations' status."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from consumers.rebuild import Report
from projections.generations import Generation, State


class ProgressBars:
    """One bar per projection: log positions applied of the head, events/s, time left."""

    def __init__(self, projections: Sequence[str]) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<14} g{task.fields[generation]:<3} "
                       "{task.fields[phase]:<11}"),
            BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8,.0f} ev/s"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        )
        self._tasks: dict[str, TaskID] = {
            name: self._progress.add_task(name, total=None, generation="?", phase="starting",
                                          rate=0.0)
            for name in projections}

    def __enter__(self) -> ProgressBars:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._progress.stop()

    def update(self, report: Report) -> None:
        """Show the latest report of one projection."""
        self._progress.update(self._tasks[report.projection], total=report.head,
                              completed=min(report.position, report.head),
                              generation=report.generation, phase=report.phase,
                              rate=report.rate)


def status_lines(found: Sequence[Generation]) -> list[str]:
    """The generations as a table: the live one of each projection, any kept, any under
    construction with its progress and rate."""
    lines = [f"{'projection':<14} {'gen':>3} {'ver':>3} {'state':<9} {'position':>10} "
             f"{'of':>10} {'ev/s':>8}  since"]
    for g in found:
        moment = g.switched_at if g.state is not State.BUILDING else g.started_at
        lines.append(f"{g.projection:<14} {g.number:>3} {g.version:>3} {g.state.value:<9} "
                     f"{g.position:>10} {g.target:>10} {g.rate:>8,.0f}  "
                     f"{moment.isoformat(timespec='seconds') if moment else '-'}")
    if len(lines) == 1:
        lines.append("(no generations yet: start `roster consume` or `roster dev`)")
    return lines
