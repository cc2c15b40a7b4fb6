"""Two consumer processes in one group share the partitions; one dies, the other takes over."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from commands.service import AgentService
from roster.settings import Settings
from tests.pipeline.conftest import Roster, free_port
from tests.pipeline.workload import Workload, expected_summary, summary_rows, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


def _partitions(port: int) -> set[int] | None:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
    except httpx.HTTPError:
        return None
    return set(answer.json().get("partitions", ()))


def test_two_consumers_split_partitions_and_one_takes_over(
    pipeline_settings: Settings, pipeline_service: AgentService, roster: Roster
) -> None:
    workload = Workload(pipeline_service)
    workload.run(60)
    roster.start("relay")
    ports = [free_port(), free_port()]
    consumers: list[subprocess.Popen[bytes]] = [
        roster.start("consume", ROSTER_CONSUMER_HEALTH_PORT=str(port)) for port in ports
    ]

    def split() -> bool:
        first, second = (_partitions(p) for p in ports)
        return bool(first and second and not first & second and first | second == {0, 1, 2})

    assert wait_for(split, timeout=60), "each partition is held by exactly one consumer"
    assert wait_for(lambda: summary_rows(pipeline_settings) == expected_summary(pipeline_service))

    consumers[0].kill()
    consumers[0].wait()
    assert wait_for(lambda: _partitions(ports[1]) == {0, 1, 2}), "the survivor took over"
    workload.run(60)
    expected = expected_summary(pipeline_service)
    assert wait_for(lambda: summary_rows(pipeline_settings) == expected)
