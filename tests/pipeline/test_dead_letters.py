"""A poison event is parked, its agent's later events wait behind it, other agents flow on,
and `roster dlq retry` drains the agent in order once the projection is fixed."""

from __future__ import annotations

import threading

import psycopg
import pytest

from commands import models
from commands.service import AgentService
from consumers.applier import Applier, RetryPolicy
from consumers.kafka_feed import KafkaFeed
from consumers.kafka_io import ensure_topic
from roster import pipeline
from roster.settings import Settings
from tests.builders import onboard_body
from tests.pipeline.conftest import Roster
from tests.pipeline.workload import (
    APPROVER,
    BUG,
    REQUEST,
    Broken,
    Workload,
    expected_summary,
    summary_rows,
    wait_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


def _parked(settings: Settings) -> list[tuple[int, str, str]]:
    with psycopg.connect(settings.read_models_conninfo()) as conn:
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT agent_version, event_type, state FROM dead_letters ORDER BY position")]


def test_poison_event_parks_its_agent_in_order_and_retry_drains_it(
    pipeline_settings: Settings, pipeline_service: AgentService, roster: Roster
) -> None:
    settings = pipeline_settings
    workload = Workload(pipeline_service)
    victim = pipeline_service.onboard(models.OnboardAgent(**onboard_body()), REQUEST).agent_id
    workload.run(40)
    ensure_topic(settings.kafka_bootstrap, settings.kafka_topic, settings.kafka_partitions)
    roster.start("relay")
    store = pipeline.generations(settings)
    store.ensure_live(Broken(victim))
    applier = Applier(store.live(Broken.name), Broken(victim), settings.kafka_topic,
                      RetryPolicy(attempts=2, first_wait=0.01))
    feed = KafkaFeed(settings.kafka_bootstrap, settings.kafka_topic, "poisoned", [applier],
                     batch=50, session_timeout_ms=6000)
    stop = threading.Event()
    consumer = threading.Thread(target=feed.run, args=(stop,))
    consumer.start()
    try:
        pipeline_service.approve(victim, APPROVER)
        pipeline_service.suspend(victim, models.Decide(reason="audit"), APPROVER)
        workload.run(40)
        expected = expected_summary(pipeline_service)
        others = {k: v for k, v in expected.items() if k != victim}
        assert wait_for(lambda: summary_rows(settings) == others), "other agents flow on"
    finally:
        stop.set()
        consumer.join()

    assert _parked(settings) == [
        (1, "Onboarded", "failed"),
        (2, "LicenseAdded", "waiting"),
        (3, "Approved", "waiting"),
        (4, "Suspended", "waiting"),
    ]
    listed = roster.run("dlq", "list")
    assert listed.returncode == 0, listed.stderr
    assert "4 parked" in listed.stdout
    assert BUG in listed.stdout

    retried = roster.run("dlq", "retry", "--projection", "agent_summary")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "4 applied, 0 still parked" in retried.stdout
    assert _parked(settings) == []
    assert summary_rows(settings) == expected
    assert summary_rows(settings)[victim].status == "SUSPENDED"
