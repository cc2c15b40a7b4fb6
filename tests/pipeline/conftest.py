"""Fixtures for the event pipeline: PostgreSQL schema, Kafka topic, and roster processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from commands.service import AgentService
from roster.settings import Settings, Store
from tests.conftest import kafka_topic, make_settings, postgres_schema, service_on

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


@pytest.fixture
def pipeline_settings() -> Iterator[Settings]:
    """PostgreSQL in a schema of its own and a Kafka topic of its own (3 partitions)."""
    tag = uuid.uuid4().hex[:12]
    made = make_settings(store=Store.POSTGRES, postgres_schema=f"test_{tag}",
                         kafka_topic=f"test-{tag}", kafka_partitions=3,
                         consumer_group=f"test-{tag}", consumer_session_timeout_ms=6000,
                         relay_batch=200, consumer_batch=200)
    with postgres_schema(made), kafka_topic(made):
        yield made


@pytest.fixture
def pipeline_service(pipeline_settings: Settings) -> Iterator[AgentService]:
    """The application service on the pipeline's event store."""
    with service_on(pipeline_settings) as app:
        yield app


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str) -> bool:
    """Whether `url` answers 2xx now (a server that is not up yet answers nothing)."""
    try:
        return httpx.get(url, timeout=2).is_success
    except httpx.TransportError:
        return False


class Roster:
    """Starts `python -m roster ...` processes with the test's settings; kills them all after."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        quiet = settings.model_copy(update={"relay_health_port": 0, "consumer_health_port": 0,
                                            "log_level": "WARNING"})
        self.env = {**os.environ, **quiet.environment()}
        self._logs = logs
        self._running: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        """Start `roster *args` in the background, its output in the test's folder."""
        log = (self._logs / f"{args[0]}-{len(self._running)}.log").open("wb")
        process = subprocess.Popen([sys.executable, "-m", "roster", *args], cwd=ROOT,
                                   env={**self.env, **env}, stdout=log, stderr=log)
        self._running.append(process)
        return process

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `roster *args` to its end."""
        return subprocess.run([sys.executable, "-m", "roster", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120, check=False)

    def stop_all(self) -> None:
        """SIGKILL whatever still runs."""
        for process in self._running:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()


@pytest.fixture
def roster(pipeline_settings: Settings, tmp_path: Path) -> Iterator[Roster]:
    """A launcher of roster processes on the pipeline's settings."""
    launcher = Roster(pipeline_settings, tmp_path)
    yield launcher
    launcher.stop_all()
