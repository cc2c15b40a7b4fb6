"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.dev import Dev, running


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Dev]:
    """`roster dev` on a fresh data folder and the README's ports."""
    yield from running(tmp_path / "data")
