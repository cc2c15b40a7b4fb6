"""Opaque page cursors: the sort key of a page's last row, as URL-safe base64 JSON."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import orjson

from projections import search
from readapi.errors import BadCursor


def encode(key: list[Any]) -> str:
    """The cursor that resumes after `key`."""
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode(cursor: str | None, length: int) -> list[Any] | None:
    """The key inside `cursor` (None for the first page); `BadCursor` when it is not one of
    ours or does not fit this query."""
    if cursor is None:
        return None
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        key = None
    if not isinstance(key, list) or len(key) != length:
        raise BadCursor
    if not all(isinstance(v, str | int) for v in key):
        raise BadCursor
    return key


def decode_search(cursor: str | None, sort: search.Sort) -> list[Any] | None:
    """The typed sort key inside a search cursor of `sort` (None for the first page)."""
    key = decode(cursor, search.key_length(sort))
    try:
        return None if key is None else search.typed_key(sort, key)
    except ValueError:
        raise BadCursor from None


def encode_at(at: datetime, tiebreak: int) -> str:
    """The cursor that resumes after the entry at `at` with `tiebreak`."""
    return encode([at.isoformat(), tiebreak])


def decode_at(cursor: str | None) -> tuple[datetime, int] | None:
    """The time and tiebreak inside a cursor made by `encode_at` (None for the first page)."""
    key = decode(cursor, 2)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(str(key[0])), int(key[1])
    except ValueError:
        raise BadCursor from None
