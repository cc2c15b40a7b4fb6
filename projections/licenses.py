"""A table of licenses by number, kept beside a per-agent model for date-range queries."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from projections.db import Cursor, write_rows


class LicenseTable:
    """Each agent's licenses as rows of `table`, replaced whenever the agent's licenses change."""

    def __init__(self, table: str) -> None:
        self.table = table

    def create(self, cur: Cursor) -> None:
        """Create the table and its expiry index when missing."""
        cur.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (number text PRIMARY KEY, "
                    "agent_id uuid NOT NULL, license_type text NOT NULL, "
                    "expires_on date NOT NULL, revoked_on date)")
        cur.execute(f"CREATE INDEX IF NOT EXISTS {self.table}_expiry ON {self.table} "
                    "(expires_on) WHERE revoked_on IS NULL")
        cur.execute(f"CREATE INDEX IF NOT EXISTS {self.table}_agent ON {self.table} (agent_id)")

    def replace(self, cur: Cursor, licenses: dict[UUID, dict[str, dict[str, Any]]]) -> None:
        """Make the rows of each agent in `licenses` match its licenses (number → fields)."""
        if not licenses:
            return
        cur.execute(f"DELETE FROM {self.table} WHERE agent_id = ANY(%s)",  # noqa: S608
                    (list(licenses),))
        write_rows(cur, self.table,
                   ("number", "agent_id", "license_type", "expires_on", "revoked_on"),
                   [(number, agent_id, lic["license_type"], lic["expires_on"],
                     lic.get("revoked_on"))
                    for agent_id, held in licenses.items() for number, lic in held.items()])
