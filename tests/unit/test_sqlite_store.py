"""The SQLite read-model store: the projections' PostgreSQL SQL, translated, on a file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projections import hierarchy, search, trigrams
from projections.agent_summary import AgentSummaryProjection
from projections.envelope import Envelope
from projections.profile import AgentProfileProjection
from projections.sqlite import SqliteStore, translate
from projections.timeline import TimelineProjection, entries
from projections.window import Window

AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("postgres", "sqlite"), [
    ("SELECT a FROM t WHERE id = ANY(%s) AND b = %(b)s",
     "SELECT a FROM t WHERE id IN (SELECT value FROM json_each(?)) AND b = :b"),
    ("(%(t)s::text[] IS NULL OR type = ANY(%(t)s))",
     "(:t IS NULL OR type IN (SELECT value FROM json_each(:t)))"),
    ("SELECT k FROM m WHERE x LIKE '%%a' LIMIT %s FOR UPDATE",
     "SELECT k FROM m WHERE x LIKE '%a' LIMIT ?"),
])
def test_statements_are_spelled_for_sqlite(postgres: str, sqlite: str) -> None:
    assert translate(postgres) == sqlite


def test_without_parameters_a_percent_sign_stays() -> None:
    assert translate("SELECT '%s'::text", with_params=False) == "SELECT '%s'"


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "read-models.db")


def onboarded(agent_id: UUID, code: str, first: str, last: str,
              manager: UUID | None = None, position: int = 1) -> Envelope:
    payload: dict[str, Any] = {
        "agent_code": code, "first_name": first, "last_name": last,
        "agent_type": "INDIVIDUAL", "office_code": "MUM01", "region": "WEST",
        "email": "a@example.com", "phone": "9876543210", "pan": "XXXXX1234X",
        "aadhaar": "XXXXXXXX1234", "bank_account": None, "date_of_joining": "2024-01-15",
        "manager_id": str(manager) if manager else None}
    return Envelope(uuid4(), "Onboarded", agent_id, 1, position, AT, "asha", "c", "api", payload)


def moved(agent_id: UUID, manager: UUID, version: int) -> Envelope:
    return Envelope(uuid4(), "ManagerChanged", agent_id, version, 100, AT, "asha", "c", "api",
                    {"manager_id": str(manager), "previous_manager_id": None, "reason": None})


def test_rows_come_back_as_the_same_python_types(store: SqliteStore) -> None:
    agent = uuid4()
    with store.transaction() as cur:
        TimelineProjection().create(cur)
        TimelineProjection().apply(cur, [onboarded(agent, "AG-1", "Meera", "Iyer")])
    (entry,) = entries(store.reader(), agent, ["Onboarded"], Window())
    assert entry.occurred_at == AT
    assert entry.details["agent_code"] == "AG-1"
    assert entries(store.reader(), agent, ["Approved"], Window()) == []


def test_no_redis_copies_are_marked_on_sqlite(store: SqliteStore) -> None:
    with store.transaction() as cur:
        AgentProfileProjection().create(cur)
        AgentProfileProjection().apply(cur, [onboarded(uuid4(), "AG-1", "Meera", "Iyer")])
    assert store.reader().execute("SELECT count(*) FROM cache_marks").fetchone() == (0,)
    assert store.reader().execute("SELECT count(*) FROM agent_profile").fetchone() == (1,)


def test_a_failed_transaction_leaves_nothing(store: SqliteStore) -> None:
    agent = uuid4()
    with store.transaction() as cur:
        TimelineProjection().create(cur)
    def crash_mid_batch() -> None:
        with store.transaction() as cur:
            TimelineProjection().apply(cur, [onboarded(agent, "AG-1", "Meera", "Iyer")])
            raise RuntimeError("crash mid-batch")

    with pytest.raises(RuntimeError):
        crash_mid_batch()
    assert entries(store.reader(), agent, None, Window()) == []


def test_hierarchy_paths_follow_the_links_in_any_order_and_after_a_move(
        store: SqliteStore) -> None:
    root, a, b, c = (uuid4() for _ in range(4))
    projection = hierarchy.HierarchyProjection()
    with store.transaction() as cur:
        projection.create(cur)
        projection.apply(cur, [onboarded(root, "R", "Root", "One"),
                               onboarded(a, "A", "Ann", "Two", root),
                               onboarded(c, "C", "Cid", "Four", b),
                               onboarded(b, "B", "Bob", "Three", a)])
    cur = store.reader()
    chain = hierarchy.chains(cur, [c])[c][1]
    assert [m["agent_code"] for m in chain] == ["R", "A", "B"]
    assert hierarchy.around(cur, root, 10)[1] == 3
    node, below = hierarchy.subtree(cur, root, 5, 100)
    assert node is not None
    assert node.path == [root]
    assert [(n.agent_code, n.depth) for n in below] == [("A", 1), ("B", 2), ("C", 3)]

    with store.transaction() as cur:
        projection.apply(cur, [moved(b, root, 2)])
    cur = store.reader()
    assert [m["agent_code"] for m in hierarchy.chains(cur, [c])[c][1]] == ["R", "B"]
    assert [(n.agent_code, n.depth) for n in hierarchy.subtree(cur, root, 5, 100)[1]] == [
        ("A", 1), ("B", 1), ("C", 2)]
    assert hierarchy.around(cur, a, 10) == ([], 0)


def test_search_finds_fragments_and_typos_through_fts5_and_codes_by_their_start(
    store: SqliteStore,
) -> None:
    names = [("AG-0001", "Meera", "Iyer"), ("AG-0002", "Ravi", "Kulkarni"),
             ("AG-0003", "Asha", "Kulkarni"), ("AG-0100", "Arjun", "Reddy"),
             ("BG-0002", "Divya", "Rao")]
    with store.transaction() as cur:
        AgentSummaryProjection().create(cur)
        AgentSummaryProjection().apply(
            cur, [onboarded(uuid4(), code, first, last, position=n)
                  for n, (code, first, last) in enumerate(names, start=1)])

    def found(**filters: Any) -> list[str]:
        rows = search.search(store.reader(), search.Filters(**filters), search.Sort.AGENT_CODE,
                             None, 10, date(2026, 1, 1))
        return [r.agent_code for r in rows]

    assert found(q="kulka") == ["AG-0002", "AG-0003"]
    assert found(q="Kulkarmi") == ["AG-0002", "AG-0003"]
    assert found(q="ag-000") == ["AG-0001", "AG-0002", "AG-0003"]
    assert found(q=" AG-01 ") == ["AG-0100"]
    assert found(q="AG-0009") == [], "a code is found by its start, never by likeness"
    assert found(q="0002") == [], "nor by its middle"
    assert found(q="AG-0002", region="EAST") == []
    assert found(q="ee") == ["AG-0001"]
    assert found(q="zzz") == []
    assert found(q="kulka", region="EAST") == []


@given(st.from_regex(r"[a-z]{3,12}", fullmatch=True), st.lists(
    st.from_regex(r"[a-z]{1,12}", fullmatch=True), max_size=4))
def test_a_whole_word_is_fully_similar_and_similarity_stays_a_share(
        word: str, others: list[str]) -> None:
    text = " ".join([*others, word.upper()])
    assert trigrams.word_similarity(word, text) == 1.0
    assert all(0.0 <= trigrams.word_similarity(o, word) <= 1.0 for o in others)
