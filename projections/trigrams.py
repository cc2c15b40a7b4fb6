"""Trigram word similarity computed as pg_trgm computes it, for stores without pg_trgm (SQLite).

A word's trigrams are those of the lower-cased word padded with two spaces before and one after.
`word_similarity(q, text)` scans the trigrams of `text` in order and scores runs of them: a run
holding `shared` of the query's trigrams among its own `distinct` ones scores
shared / (len(query trigrams) + distinct - shared). The scan is pg_trgm's: a run ends at each
trigram the query has and starts where it scored best so far (it never moves back), so the
answers, and the search results built on them, are the same on both stores.
"""

from __future__ import annotations

import re
import struct
from functools import lru_cache

THRESHOLD = 0.6
"""pg_trgm's default `word_similarity_threshold`: at or above it, `q <% text` holds."""

_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=4096)
def trigrams(word: str) -> tuple[str, ...]:
    """The trigrams of one word, in order."""
    padded = f"  {word.lower()} "
    return tuple(padded[i:i + 3] for i in range(len(padded) - 2))


def words(text: str) -> list[str]:
    """The words of `text` (runs of letters and digits)."""
    return _WORD.findall(text.lower())


def _single(value: float) -> float:
    """`value` rounded to single precision, as pg_trgm computes similarities."""
    rounded: float = struct.unpack("f", struct.pack("f", value))[0]
    return rounded


def _score(shared: int, wanted: int, distinct: int) -> float:
    return _single(shared / (wanted + distinct - shared))


def word_similarity(q: str, text: str) -> float:
    """How well `q` matches some run of words in `text`, from 0 to 1."""
    wanted = frozenset(g for w in words(q) for g in trigrams(w))
    seq = [g for w in words(text) for g in trigrams(w)]
    best, lower, shared, distinct = 0.0, -1, 0, 0
    last: dict[str, int] = {}
    """Where each trigram of the current run was last seen."""
    for upper, gram in enumerate(seq):
        if lower >= 0 or gram in wanted:
            if gram not in last:
                distinct += 1
                shared += gram in wanted
            last[gram] = upper
        if gram not in wanted:
            continue
        if lower == -1:
            lower, distinct = upper, 1
        score = _score(shared, len(wanted), distinct)
        start, try_shared, try_distinct = lower, shared, distinct
        for candidate in range(start, upper + 1):
            tried = _score(try_shared, len(wanted), try_distinct)
            if tried > score:
                score, lower, shared, distinct = tried, candidate, try_shared, try_distinct
            dropped = seq[candidate]
            if last[dropped] == candidate:
                try_distinct -= 1
                try_shared -= dropped in wanted
        best = max(best, score)
        for gone in range(start, lower):
            if last.get(seq[gone]) == gone:
                del last[seq[gone]]
    return best
