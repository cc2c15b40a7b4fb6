"""Trigram word similarity, as pg_trgm computes it, for stores without pg_trgm (SQLite).

A word's trigrams are those of the lower-cased word padded with two spaces before and one after;
`word_similarity(q, text)` is the share of the trigrams of `q` found in the best-matching word
of `text` (pg_trgm also considers runs across word boundaries; names rarely need that).
"""

from __future__ import annotations

import re
from functools import lru_cache

THRESHOLD = 0.6
"""pg_trgm's default `word_similarity_threshold`: at or above it, `q <% text` holds."""

_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=4096)
def trigrams(word: str) -> frozenset[str]:
    """The trigrams of one word."""
    padded = f"  {word.lower()} "
    return frozenset(padded[i:i + 3] for i in range(len(padded) - 2))


def words(text: str) -> list[str]:
    """The words of `text` (runs of letters and digits)."""
    return _WORD.findall(text.lower())


def word_similarity(q: str, text: str) -> float:
    """How well `q` matches some word of `text`, from 0 to 1."""
    wanted = frozenset().union(*(trigrams(w) for w in words(q)))
    if not wanted:
        return 0.0
    return max((len(wanted & trigrams(w)) / len(wanted) for w in words(text)), default=0.0)
