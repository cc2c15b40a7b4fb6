"""roster processes a benchmark starts: their environment, their lifetime, their readiness."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SECRET = "bench-secret-of-at-least-32-characters!"


def roster_env(schema: str, **values: object) -> dict[str, str]:
    """The environment of a roster process on PostgreSQL schema `schema`: the benchmarks'
    secrets, tokens signed with them accepted, no rate limits, warnings only; `values` add
    or replace settings (`ROSTER_<NAME>`)."""
    settings = {"store": "postgres", "postgres_schema": schema, "jwt_secret": SECRET,
                "hrms_secret": SECRET, "encryption_key": SECRET, "allow_hs256": "true",
                "rate_limits": "false", "log_level": "WARNING", **values}
    return os.environ | {f"ROSTER_{k.upper()}": str(v) for k, v in settings.items()}


@contextmanager
def running(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`roster ARGS` in its own process, stopped (SIGTERM) afterwards."""
    roster = Path(sys.executable).with_name("roster")
    proc = subprocess.Popen([str(roster), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(30)


def wait_ready(url: str, seconds: float = 30) -> None:
    """Wait until `url` answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} never became ready")
