"""Crash tests under a steady write load: whatever dies, the summary ends equal to the log's.

Each is bounded: a fixed number of kills at random moments, then a generous wait to converge.
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
from kafka import KafkaConsumer, TopicPartition

from commands.service import AgentService
from consumers.kafka_io import WATERMARK, Publisher, ensure_topic
from consumers.lease import Lease
from consumers.log import EventLog
from consumers.relay import Relay
from projections.envelope import Envelope
from roster.settings import Settings
from tests.pipeline.conftest import ROOT, Roster
from tests.pipeline.workload import Workload, expected_summary, summary_rows, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

KILLS = 6


@contextmanager
def steady_load(service: AgentService, per_second: float = 80) -> Iterator[Workload]:
    """Commands at about `per_second` on a thread for the block's duration."""
    workload = Workload(service)
    workload.run(100)
    stop = threading.Event()
    writer = threading.Thread(target=workload.run_until, args=(stop, per_second))
    writer.start()
    try:
        yield workload
    finally:
        stop.set()
        writer.join()


def _converges(settings: Settings, service: AgentService) -> None:
    expected = expected_summary(service)
    assert wait_for(lambda: summary_rows(settings) == expected, timeout=90), \
        "the summary equals the one rebuilt from the event store"


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.parametrize(("victim", "survivor"), [("consume", "relay"), ("relay", "consume")])
def test_process_killed_mid_batch_many_times_under_load(
    victim: str, survivor: str, pipeline_settings: Settings, pipeline_service: AgentService,
    roster: Roster,
) -> None:
    chance = random.Random(11)
    roster.start(survivor)
    with steady_load(pipeline_service):
        for _ in range(KILLS):
            doomed = roster.start(victim)
            time.sleep(chance.uniform(1.0, 2.5))
            _kill(doomed)
    roster.start(victim)
    _converges(pipeline_settings, pipeline_service)


class Crash(Exception):
    """Stands for the relay process dying."""


def _events_in(settings: Settings) -> int:
    """The event messages on the topic (watermarks left out)."""
    probe = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, consumer_timeout_ms=2000,
                          auto_offset_reset="earliest")
    probe.assign([TopicPartition(settings.kafka_topic, p)
                  for p in range(settings.kafka_partitions)])
    events = sum(1 for message in probe
                 if not any(name == WATERMARK for name, _ in message.headers))
    probe.close()
    return events


def test_relay_dying_between_send_and_position_save_duplicates_but_loses_nothing(
    pipeline_settings: Settings, pipeline_service: AgentService, roster: Roster
) -> None:
    Workload(pipeline_service).run(150)
    settings = pipeline_settings
    ensure_topic(settings.kafka_bootstrap, settings.kafka_topic, settings.kafka_partitions)
    publisher = Publisher(settings.kafka_bootstrap, settings.kafka_topic)

    def publish_then_die(envelopes: Sequence[Envelope], through: int) -> None:
        publisher.publish(envelopes, through)
        raise Crash

    lease = Lease(settings.read_models_conninfo(), f"roster.relay.{settings.kafka_topic}")
    dying = Relay(EventLog(pipeline_service), lease, publish_then_die, settings.kafka_topic, 100)
    with pytest.raises(Crash):
        dying.publish_once()
    lease.release()
    publisher.close()

    roster.start("relay")
    roster.start("consume")
    _converges(settings, pipeline_service)
    events = sum(row.version for row in expected_summary(pipeline_service).values())
    first_page = EventLog(pipeline_service).read(0, 100).envelopes
    assert _events_in(settings) == events + len(first_page), "the first page went out twice"


def test_broker_restart_under_load_loses_nothing(
    pipeline_settings: Settings, pipeline_service: AgentService, roster: Roster
) -> None:
    roster.start("relay")
    roster.start("consume")
    with steady_load(pipeline_service):
        time.sleep(2)
        subprocess.run([ROOT / "scripts" / "kafka.sh", "down"], check=True)
        time.sleep(2)
        subprocess.run([ROOT / "scripts" / "kafka.sh", "up"], check=True)
        time.sleep(3)
    _converges(pipeline_settings, pipeline_service)
