"""Against `roster dev` over real sockets: a client that sends its headers a byte at a time is
cut off at the header deadline, one sending an endless head is refused once it passes the
bound, a stalled body is answered 408, and headers past the bound 431 (each as a problem);
none holds the server, which still answers others."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.dev import Dev, running
from tests.pipeline.conftest import ROOT, free_port
from tests.pipeline.workload import wait_for

WRITE_PORT, READ_PORT = 8120, 8121
DEADLINE = 2.0


@pytest.fixture(scope="module")
def strict_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dev]:
    """`roster dev` with two-second deadlines on headers (the keep-alive time) and on a
    stalled body."""
    yield from running(tmp_path_factory.mktemp("slow") / "data",
                       "--write-port", str(WRITE_PORT), "--read-port", str(READ_PORT),
                       ROSTER_KEEP_ALIVE_SECONDS=str(DEADLINE),
                       ROSTER_BODY_TIMEOUT_SECONDS=str(DEADLINE))


def _connected(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE * 5)
    conn.settimeout(DEADLINE * 5)
    return conn


@pytest.mark.parametrize("port", [WRITE_PORT, READ_PORT], ids=["write-api", "read-api"])
def test_headers_sent_a_byte_at_a_time_are_cut_off_at_the_deadline(
    strict_dev: Dev, port: int
) -> None:
    conn = _connected(port)
    began = time.monotonic()
    conn.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
    closed = False
    for byte in b"X-Slow: " + b"a" * 40:
        try:
            conn.sendall(bytes([byte]))
        except OSError:
            closed = True
            break
        time.sleep(0.25)
        if time.monotonic() - began > DEADLINE * 4:
            break
    if not closed:
        closed = conn.recv(1024) == b""
    conn.close()
    assert closed, "the server closed the connection"
    assert time.monotonic() - began < DEADLINE * 3
    assert httpx.get(f"http://127.0.0.1:{port}/health/live").status_code == 200


@pytest.mark.parametrize("port", [WRITE_PORT, READ_PORT], ids=["write-api", "read-api"])
def test_a_head_past_the_bound_is_refused_before_it_ends(strict_dev: Dev, port: int) -> None:
    conn = _connected(port)
    began = time.monotonic()
    conn.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 32 * 1024)
    answer = conn.recv(1024)
    conn.close()
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert time.monotonic() - began < DEADLINE / 2, "refused at once, not at the deadline"


@pytest.mark.parametrize(("port", "path"), [(WRITE_PORT, b"/v1/agents"),
                                            (READ_PORT, b"/v1/exports")],
                         ids=["write-api", "read-api"])
def test_a_stalled_body_is_answered_408(strict_dev: Dev, port: int, path: bytes) -> None:
    conn = _connected(port)
    began = time.monotonic()
    conn.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + strict_dev.token("clerk").encode() +
                 b"\r\nContent-Length: 100\r\n\r\n{\"agent")
    answer = b""
    while b'"code"' not in answer and (part := conn.recv(4096)):
        answer += part
    conn.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"code":"request_timeout"' in answer
    assert time.monotonic() - began < DEADLINE * 3


@pytest.mark.parametrize("port", [WRITE_PORT, READ_PORT], ids=["write-api", "read-api"])
def test_too_many_or_too_large_headers_are_431(strict_dev: Dev, port: int) -> None:
    url = f"http://127.0.0.1:{port}/health/live"
    many = httpx.get(url, headers={f"x-h{i}": "v" for i in range(120)})
    large = httpx.get(url, headers={"x-large": "v" * 9000})
    for answer in (many, large):
        assert answer.status_code == 431, answer.text
        assert answer.json()["code"] == "headers_too_large"


def test_an_api_with_two_worker_processes_keeps_the_deadline(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "ROSTER_DATA_DIR": str(tmp_path / "data"),
           "ROSTER_KEEP_ALIVE_SECONDS": str(DEADLINE), "ROSTER_LOG_LEVEL": "WARNING"}
    api = subprocess.Popen([sys.executable, "-m", "roster", "readapi", "--port", str(port),
                            "--workers", "2"], env=env, cwd=ROOT)
    try:
        assert wait_for(lambda: _answers(port), timeout=30), "two workers serve"
        conn = _connected(port)
        began = time.monotonic()
        conn.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        assert conn.recv(1024) == b"", "closed at the deadline"
        assert time.monotonic() - began < DEADLINE * 3
        conn.close()
    finally:
        api.terminate()
        api.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/live").status_code == 200
    except httpx.HTTPError:
        return False
