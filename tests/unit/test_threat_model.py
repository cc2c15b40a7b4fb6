"""`docs/THREATS.md` names a test for every control, and every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THREATS = ROOT / "docs" / "THREATS.md"
_CITED = re.compile(r"`(tests/[\w/]+\.py|…)(?:::(\w+))?`")


def _rows() -> list[str]:
    return [line for line in THREATS.read_text().splitlines()
            if re.match(r"\| [STRIDE] \|", line)]


def test_every_control_names_a_test_that_exists() -> None:
    rows = _rows()
    assert len(rows) > 30
    missing = []
    file = ""
    for row in rows:
        cited = _CITED.findall(row.split(" | ")[-1])
        assert cited, f"no test named for: {row}"
        for path, name in cited:
            file = file if path == "…" else path
            source = (ROOT / file).read_text()
            if name and not re.search(rf"^(async )?def {name}\(", source, re.MULTILINE):
                missing.append(f"{file}::{name}")
    assert missing == []
