"""What an export of the agent summary holds: its columns, its definition (search's filters,
the columns, the format, the order), and the SQL that reads its rows in one pass.

An export's values are search's values: a column is the summary's column of that name, in the
same form search answers with. The three personal columns hold the full PAN, Aadhaar and bank
account, which no read model keeps: the worker decrypts them from the event store, for an
auditor's run alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import sql

from projections import search
from projections.agent_summary import COLUMNS as SUMMARY_COLUMNS
from projections.db import StoreKind


class Format(StrEnum):
    """The file formats an export can be written in."""

    CSV = "csv"
    NDJSON = "ndjson"
    XLSX = "xlsx"


MEDIA_TYPES = {Format.CSV: "text/csv; charset=utf-8", Format.NDJSON: "application/x-ndjson",
               Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
"""Each format's media type, for the download."""

XLSX_MAX_ROWS = 1_048_575
"""A worksheet holds 1,048,576 rows, the header included."""

PERSONAL = {"pan_full": "pan", "aadhaar_full": "aadhaar", "bank_account_full": "bank_account",
            "email_full": "email", "phone_full": "phone"}
"""Each personal column and the agent's field it discloses in full."""

_DESCRIPTIONS = {
    "pan": "The PAN, masked (XXXXX1234X), as search shows it.",
    "email": "The email address, masked (a***@example.com), as search shows it.",
    "phone": "The phone number, masked (XXXXXX3210), as search shows it.",
    "licenses": "Licenses by number: type, issued_on, expires_on, revoked_on (JSON).",
    "next_expiry": "The earliest expiry of a license in force.",
    "reports": "How many agents report directly to this one.",
    "version": "The agent's version the row reflects.",
    "position": "The log position of the agent's latest event.",
    "pan_full": "PERSONAL: the PAN in full (auditor only, with a reason).",
    "aadhaar_full": "PERSONAL: the Aadhaar number in full (auditor only, with a reason).",
    "bank_account_full": "PERSONAL: the bank account in full, empty when none (auditor only, "
                         "with a reason).",
    "email_full": "PERSONAL: the email address in full (auditor only, with a reason).",
    "phone_full": "PERSONAL: the phone number in full (auditor only, with a reason).",
}

EXPORTED = SUMMARY_COLUMNS
"""The summary's columns, in search's order: what an export holds unless told otherwise."""
ALL_COLUMNS = (*EXPORTED, *PERSONAL)
"""Every column an export may ask for."""
COLUMN_DESCRIPTIONS = {c: _DESCRIPTIONS.get(c, f"The agent's {c.replace('_', ' ')}.")
                       for c in ALL_COLUMNS}
"""Each column with a line saying what it holds (the documented list)."""


@dataclass(frozen=True)
class Definition:
    """What an export reads and writes."""

    filters: search.Filters = field(default_factory=search.Filters)
    columns: tuple[str, ...] = EXPORTED
    format: Format = Format.CSV
    sort: search.Sort = search.Sort.AGENT_CODE

    @property
    def personal(self) -> bool:
        """Whether it discloses personal data in full."""
        return any(c in PERSONAL for c in self.columns)

    def as_json(self) -> dict[str, Any]:
        """The definition as stored (JSON-ready)."""
        filters = {k: (str(v) if isinstance(v, UUID) else v)
                   for k, v in asdict(self.filters).items() if v is not None}
        return {"filters": filters, "columns": list(self.columns),
                "format": self.format.value, "sort": self.sort.value}

    @classmethod
    def of_json(cls, stored: dict[str, Any]) -> Definition:
        """A definition stored by `as_json`."""
        filters = dict(stored.get("filters", {}))
        if filters.get("manager_id") is not None:
            filters["manager_id"] = UUID(str(filters["manager_id"]))
        return cls(search.Filters(**filters), tuple(stored["columns"]),
                   Format(stored["format"]), search.Sort(stored["sort"]))


def rows_query(definition: Definition, today: date, store: StoreKind) -> search.Query:
    """Every summary row the definition selects, whole (`SUMMARY_COLUMNS`), in its order."""
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in SUMMARY_COLUMNS)
    return search.selection(definition.filters, definition.sort, today, store, columns)


def count_query(definition: Definition, today: date, store: StoreKind) -> search.Query:
    """How many rows the definition selects."""
    return search.counted(definition.filters, today, store)


_TEXT = {"onboarded_at": "to_char({} AT TIME ZONE 'UTC', "
                         "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')",
         "updated_at": "to_char({} AT TIME ZONE 'UTC', "
                       "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"}
"""PostgreSQL expressions writing a column as `jsonb.text_form` does where its own text
differs."""


def _text(column: str) -> sql.Composable:
    return sql.SQL(_TEXT.get(column, "{}")).format(sql.Identifier(column))


def copy_query(definition: Definition, today: date) -> search.Query:
    """PostgreSQL's COPY of the definition's rows straight to CSV or NDJSON (no personal
    columns), and its parameters: the database writes the file's bytes, one row per line."""
    if definition.format is Format.CSV:
        columns = sql.SQL(", ").join(_text(c) for c in definition.columns)
        options = sql.SQL("FORMAT csv")
    else:
        columns = sql.SQL("json_build_object({})::text").format(sql.SQL(", ").join(
            sql.SQL("{}, {}").format(sql.Literal(c), _text(c)) for c in definition.columns))
        options = sql.SQL("FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02'")
    selected, params = search.selection(definition.filters, definition.sort, today,
                                        StoreKind.POSTGRES, columns)
    return sql.SQL("COPY ({}) TO STDOUT ({})").format(selected, options), params
