"""What `roster verify` prints: a table per projection of how its live tables compared with a
fresh fold of the log, and the first rows that differ."""

from __future__ import annotations

from projections.verification import Verdict


def verdict_lines(verdict: Verdict) -> list[str]:
    """One projection's verdict as lines of text."""
    state = "OK" if not verdict.differences else f"{verdict.differences} DIFFERENCES"
    lines = [f"{verdict.projection}: {state} — live generation {verdict.generation} against "
             f"the log folded to position {verdict.position} ({verdict.seconds:.1f} s)",
             f"  {'table':<20} {'compared':>9} {'missing':>8} {'extra':>7} {'different':>9}"]
    lines += [f"  {t.table:<20} {t.compared:>9} {t.missing:>8} {t.extra:>7} {t.different:>9}"
              for t in verdict.tables]
    for example in verdict.examples:
        who = f"agent {example.agent_id}" if example.agent_id else ", ".join(
            f"{k}={v}" for k, v in example.key.items())
        detail = {"missing": "in the log's fold, not in the live table",
                  "extra": "in the live table, not in the log's fold"}.get(example.kind) or \
            "; ".join(f"{f['field']}: live {f['live']!r}, log {f['log']!r}"
                      for f in example.fields)
        lines.append(f"  ! {example.table} {who} {example.kind}: {detail}")
    return lines
