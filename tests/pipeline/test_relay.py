"""One relay publishes, a second stands by and takes over when the first dies."""

from __future__ import annotations

import httpx
import pytest

from commands.service import AgentService
from roster.settings import Settings
from tests.pipeline.conftest import Roster, free_port
from tests.pipeline.workload import Workload, expected_summary, summary_rows, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


def _role(port: int) -> str | None:
    try:
        return str(httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).json()["role"])
    except httpx.HTTPError:
        return None


def test_second_relay_stands_by_then_takes_over(
    pipeline_settings: Settings, pipeline_service: AgentService, roster: Roster
) -> None:
    workload = Workload(pipeline_service)
    workload.run(30)
    ports = [free_port(), free_port()]
    first = roster.start("relay", ROSTER_RELAY_HEALTH_PORT=str(ports[0]))
    assert wait_for(lambda: _role(ports[0]) == "active")
    roster.start("relay", ROSTER_RELAY_HEALTH_PORT=str(ports[1]))
    assert wait_for(lambda: _role(ports[1]) == "standby")
    roster.start("consume")
    assert wait_for(lambda: summary_rows(pipeline_settings) == expected_summary(pipeline_service))

    first.kill()
    first.wait()
    assert wait_for(lambda: _role(ports[1]) == "active"), "the standby took the lock"
    workload.run(30)
    expected = expected_summary(pipeline_service)
    assert wait_for(lambda: summary_rows(pipeline_settings) == expected)
