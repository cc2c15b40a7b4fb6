"""Both APIs fuzzed from their own OpenAPI documents (Schemathesis) against `roster dev`: every
answer has a status the route declares, the declared media type, and a body that fits the
declared schema."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.dev import BIN, Dev, running

WRITE_PORT, READ_PORT = 8110, 8111
CHECKS = "status_code_conformance,content_type_conformance,response_schema_conformance"
SECONDS = 25
"""Each API's fuzzing budget. One worker: with two, Schemathesis' generator sometimes fails
inside Python 3.11's `ast.parse` ("AST constructor recursion depth mismatch")."""


@pytest.fixture(scope="module")
def fuzzed_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dev]:
    """`roster dev` on ports of its own, waiting at most 0.1 s for a far `min_position`."""
    yield from running(tmp_path_factory.mktemp("fuzz") / "data",
                       "--write-port", str(WRITE_PORT), "--read-port", str(READ_PORT),
                       ROSTER_READ_WAIT_SECONDS="0.1")


@pytest.mark.parametrize(("port", "role"), [(WRITE_PORT, "clerk"), (READ_PORT, "auditor")],
                         ids=["write-api", "read-api"])
def test_every_answer_is_one_the_openapi_document_declares(
    fuzzed_dev: Dev, port: int, role: str, tmp_path: Path
) -> None:
    run = subprocess.run(
        [str(BIN / "st"), "run", f"http://127.0.0.1:{port}/openapi.json",
         "--header", f"Authorization: Bearer {fuzzed_dev.token(role)}",
         "--checks", CHECKS, "--max-time", str(SECONDS), "--workers", "1"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=SECONDS + 120)
    print(run.stdout)
    assert run.returncode == 0, run.stdout[-4000:]
    assert " passed" in run.stdout
