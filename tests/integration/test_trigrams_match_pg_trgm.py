"""Property: the SQLite store's word similarity is pg_trgm's, to the last bit, so a fuzzy search
matches the same agents on both stores."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections import trigrams
from roster.demo import FIRST, LAST
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres

names = st.sampled_from([n.lower() for n in FIRST + LAST])
typed = st.text(alphabet="aeiknrsthu- 0", min_size=1, max_size=12)
queries = st.one_of(names, typed, st.builds(lambda a, b: a + b, names, typed),
                    st.builds(lambda n, cut: n[:cut], names, st.integers(1, 8)))
texts = st.builds(" ".join, st.lists(st.one_of(names, typed), min_size=1, max_size=5))


@pytest.fixture(scope="module")
def postgres() -> Iterator[psycopg.Connection]:
    """A connection to the test PostgreSQL, where pg_trgm is installed."""
    with psycopg.connect(make_settings().read_models_conninfo(), autocommit=True) as conn:
        yield conn


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=queries, text=texts)
def test_word_similarity_and_its_threshold_equal_pg_trgm(
    postgres: psycopg.Connection, q: str, text: str
) -> None:
    row = postgres.execute("SELECT word_similarity(%s, %s), %s <%% %s",
                           (q, text, q, text)).fetchone()
    assert row is not None
    similarity, matches = row
    ours = trigrams.word_similarity(q, text)
    assert struct.unpack("f", struct.pack("f", similarity))[0] == ours
    assert matches == (ours >= trigrams.THRESHOLD)
