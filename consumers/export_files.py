"""An export's file in each format, written a batch of rows at a time (never all of them in
memory): CSV and NDJSON line by line, XLSX through xlsxwriter's constant-memory mode."""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import orjson
import xlsxwriter

from projections.exports import Format
from projections.jsonb import text_form


class Writer(Protocol):
    """An export file being written."""

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        """Append `rows` (values in the columns' order)."""

    def close(self) -> None:
        """Finish the file."""


class CsvFile:
    """RFC 4180 CSV with a header line; empty for nothing, documents as JSON text."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.file = path.open("w", newline="", encoding="utf-8")
        self.csv = csv.writer(self.file, lineterminator="\n")
        self.csv.writerow(columns)

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        """Append `rows`."""
        self.csv.writerows([text_form(v) for v in row] for row in rows)

    def close(self) -> None:
        """Close the file."""
        self.file.close()


class NdjsonFile:
    """One JSON object per line, keyed by column; licenses stay a JSON object."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.file = path.open("wb")
        self.columns = columns

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        """Append `rows`."""
        self.file.write(b"".join(
            orjson.dumps({c: v if isinstance(v, dict) else text_form(v)
                          for c, v in zip(self.columns, row, strict=True)}) + b"\n"
            for row in rows))

    def close(self) -> None:
        """Close the file."""
        self.file.close()


class XlsxFile:
    """One worksheet, header in bold on the first row; xlsxwriter flushes each row as it
    goes (constant memory)."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        self.sheet = self.book.add_worksheet("agents")
        self.sheet.write_row(0, 0, columns, self.book.add_format({"bold": True}))
        self.next_row = 1

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        """Append `rows`."""
        for row in rows:
            self.sheet.write_row(self.next_row, 0, [text_form(v) for v in row])
            self.next_row += 1

    def close(self) -> None:
        """Write the workbook."""
        self.book.close()


WRITERS: dict[Format, type[CsvFile] | type[NdjsonFile] | type[XlsxFile]] = {
    Format.CSV: CsvFile, Format.NDJSON: NdjsonFile, Format.XLSX: XlsxFile}
"""The writer of each format."""


def copy_header(fmt: Format, columns: Sequence[str]) -> bytes:
    """What precedes the lines PostgreSQL's COPY writes: the CSV header (NDJSON has none)."""
    if fmt is not Format.CSV:
        return b""
    return (",".join(columns) + "\n").encode()


COUNTED_CHUNKS = 1000
"""Chunks written between two counts of their lines (COPY sends a row per chunk)."""


def write_chunks(file: BinaryIO, chunks: Iterable[bytes]) -> Iterable[int]:
    """Write `chunks` to `file`, yielding after every `COUNTED_CHUNKS` (and at the end) how
    many lines they held."""
    held: list[bytes] = []
    for chunk in chunks:
        held.append(chunk)
        if len(held) == COUNTED_CHUNKS:
            yield _written(file, held)
            held = []
    if held:
        yield _written(file, held)


def _written(file: BinaryIO, chunks: list[bytes]) -> int:
    block = b"".join(chunks)
    file.write(block)
    return block.count(b"\n")


def synced(path: Path) -> str:
    """Flush the finished file to disk; its SHA-256, as a strong ETag."""
    with path.open("rb") as file:
        os.fsync(file.fileno())
        return f'"{hashlib.file_digest(file, "sha256").hexdigest()}"'
