"""JSON responses of the read API: orjson bodies, the position header, pages."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from readapi.deps import POSITION_HEADER


def answer(body: Any, position: int, etag: str | None = None) -> Response:
    """`body` as JSON, saying which position it reflects."""
    headers = {POSITION_HEADER: str(position)}
    if etag is not None:
        headers["ETag"] = etag
    return Response(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), headers=headers,
                    media_type="application/json")


def page(items: list[Any], next_cursor: str | None, position: int) -> Response:
    """One page of `items` and the cursor of the next (None on the last page)."""
    return answer({"items": items, "next_cursor": next_cursor}, position)
