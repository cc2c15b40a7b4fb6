"""JSON responses of the read API: orjson bodies, the position header, pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson
from starlette.responses import Response

from readapi.deps import POSITION_HEADER

T = TypeVar("T")


def answer(body: Any, position: int, etag: str | None = None) -> Response:
    """`body` as JSON, saying which position it reflects."""
    headers = {POSITION_HEADER: str(position)}
    if etag is not None:
        headers["ETag"] = etag
    return Response(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), headers=headers,
                    media_type="application/json")


def page(rows: Sequence[T], limit: int, cursor_after: Callable[[T], str],
         position: int) -> Response:
    """The first `limit` of `rows` (fetched one over, to know whether more follow) and the
    cursor of the next page (None on the last)."""
    shown = list(rows[:limit])
    next_cursor = cursor_after(shown[-1]) if len(rows) > limit else None
    return answer({"items": shown, "next_cursor": next_cursor}, position)
