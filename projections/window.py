"""A page of time-ordered rows: a `[since, until)` range, a keyset cursor and a limit.

Timeline, audit log and notifications all list rows by `occurred_at` with a tiebreak column;
`Window` writes that part of their queries once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Window:
    """Which rows a listing shows: in `[since, until)` (either open), strictly past the cursor
    `after` (time and tiebreak of the previous page's last row), at most `limit`."""

    since: datetime | None = None
    until: datetime | None = None
    after: tuple[datetime, int] | None = None
    limit: int = 50

    def sql(self, tiebreak: str, newest_first: bool) -> str:
        """The conditions (to follow a WHERE clause with AND), order and limit, over
        `occurred_at` and the `tiebreak` column."""
        beyond, order = ("<", " DESC") if newest_first else (">", "")
        return (
            "AND (%(since)s::timestamptz IS NULL OR occurred_at >= %(since)s) "
            "AND (%(until)s::timestamptz IS NULL OR occurred_at < %(until)s) "
            f"AND (%(at)s::timestamptz IS NULL OR (occurred_at, {tiebreak}) {beyond} "
            f"(%(at)s, %(tie)s)) ORDER BY occurred_at{order}, {tiebreak}{order} LIMIT %(limit)s"
        )

    def params(self) -> dict[str, Any]:
        """The parameters `sql` names."""
        at, tie = self.after if self.after else (None, None)
        return {"since": self.since, "until": self.until, "at": at, "tie": tie,
                "limit": self.limit}
