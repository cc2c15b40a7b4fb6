"""What tracing costs the write API: onboardings, then the mixed stream, over HTTP (wrk,
`roster writeapi --workers 2` on PostgreSQL with group commit, as `bench.write_throughput`'s
path (a)) with tracing off, with one trace in ten sampled, and with every trace recorded. Spans
go through the SDK's batch processor to its console exporter, whose output is thrown away: the
cost of making, recording and serialising them, not a collector's network time. Medians of
`--runs`, each mode's ratio to tracing off measured in the same run.

With `--baseline-tree DIR` (a checkout of an earlier commit: `git worktree add DIR COMMIT`) the
server also runs that commit's code, tracing off, in the same runs: what the changes since it
cost a write when tracing is off.

    .venv/bin/python -m bench.tracing [--seconds 8] [--connections 32] [--runs 3]
                                      [--baseline-tree DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import wrk
from bench.write_throughput import Row, fresh_schema, http_run, table

MODES = {
    "off": {},
    "1 trace in 10": {"OTEL_TRACES_EXPORTER": "console",
                      "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                      "OTEL_TRACES_SAMPLER_ARG": "0.1"},
    "every trace": {"OTEL_TRACES_EXPORTER": "console"},
}
"""The server's `OTEL_*` variables of each mode."""


def main() -> None:
    """Measure each mode `--runs` times, modes interleaved, and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8, help="each wrk measurement")
    parser.add_argument("--connections", type=int, default=32, help="wrk's clients")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-tree", type=Path, help="an earlier commit's checkout")
    args = parser.parse_args()
    wrk.ensure()
    modes = dict(MODES)
    if args.baseline_tree is not None:
        modes["off, code of --baseline-tree"] = {"PYTHONPATH": str(args.baseline_tree.resolve())}
    results: dict[tuple[str, str], list[Row]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.runs):
            for mode, extra in modes.items():
                with fresh_schema() as settings:
                    measured = http_run(settings, args.seconds, args.connections, True,
                                        Path(scratch), extra)
                for stream, row in measured.items():
                    results.setdefault((stream, mode), []).append(row)
    print(f"\nPostgreSQL, write API over HTTP (wrk, {args.connections} connections, "
          f"{args.seconds:g} s per stream), median of {args.runs} runs\n")
    table(results, ("tracing", list(modes)), "off", "off")

if __name__ == "__main__":
    main()
