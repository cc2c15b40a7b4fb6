"""A table of one JSON document per agent, for the read models whose state is a profile."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from projections.db import Cursor, write_rows
from projections.jsonb import dumps

Document = dict[str, Any]
"""One agent's document as JSON."""


class DocumentTable:
    """A table of one JSON document per agent, versioned by the agent's version."""

    def __init__(self, table: str, columns: dict[str, str] | None = None) -> None:
        self.table = table
        self.columns = columns or {}
        """Extra columns (name → definition), such as values generated from the document."""

    def create(self, cur: Cursor) -> None:
        """Create the table when missing."""
        extra = "".join(f", {name} {spec}" for name, spec in self.columns.items())
        cur.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (agent_id uuid PRIMARY KEY, "
                    "version integer NOT NULL, position bigint NOT NULL, "
                    f"document jsonb NOT NULL{extra})")

    def load(self, cur: Cursor, ids: list[UUID]) -> dict[UUID, Document]:
        """The documents of `ids` that exist."""
        cur.execute(f"SELECT agent_id, document FROM {self.table} "  # noqa: S608
                    "WHERE agent_id = ANY(%s)", (ids,))
        return {row[0]: row[1] for row in cur.fetchall()}

    def save(self, cur: Cursor, docs: dict[UUID, Document], ids: set[UUID]) -> None:
        """Write the documents of `ids`."""
        write_rows(cur, self.table, ("agent_id", "version", "position", "document"),
                   [(i, docs[i]["version"], docs[i]["position"], Jsonb(docs[i], dumps=dumps))
                    for i in ids],
                   "ON CONFLICT (agent_id) DO UPDATE SET version = EXCLUDED.version, "
                   "position = EXCLUDED.position, document = EXCLUDED.document")
