"""The in-process transport: the same projection fed straight from the event store, no broker."""

from __future__ import annotations

from contextlib import closing

import pytest

from commands.service import AgentService
from roster import pipeline
from roster.settings import Settings
from tests.pipeline.workload import Workload, expected_summary, summary_rows

pytestmark = pytest.mark.postgres


def test_log_feed_builds_the_summary_and_resumes_from_its_mark(
    pipeline_settings: Settings, pipeline_service: AgentService
) -> None:
    workload = Workload(pipeline_service)
    workload.run(80)
    chosen = pipeline.projections(["agent_summary"])
    with closing(pipeline.in_process_feed(pipeline_settings, chosen, pipeline_service)) as feed:
        assert feed.catch_up() > 80
    assert summary_rows(pipeline_settings) == expected_summary(pipeline_service)

    workload.run(40)
    with closing(pipeline.in_process_feed(pipeline_settings, chosen, pipeline_service)) as again:
        delivered = again.catch_up()
    assert 0 < delivered < 80, "a new feed resumes from the tracked position"
    assert summary_rows(pipeline_settings) == expected_summary(pipeline_service)
