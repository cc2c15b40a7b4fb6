"""An erasure through the whole server stack (relay, Kafka, consumers): Kafka's log segments
on disk never held the agent's values in full (only masked), the event store holds them under
no key that still exists, and a rebuild of every read model after the erasure writes the
marker and equals the fold of the log."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from commands import models
from commands.service import AgentService, Request
from domain.values import mask
from roster.settings import Settings
from tests.builders import onboard_body
from tests.pipeline.conftest import ROOT, Roster
from tests.pipeline.workload import Workload
from tests.readapi.test_erasure import read_model_text
from tests.rebuild.helpers import assert_whole_log_folded, caught_up

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

PERSONAL = ("pan", "aadhaar", "bank_account", "email", "phone")
BY = Request.by("approver-1", "c-erase")


def _segments(settings: Settings) -> bytes:
    """Every log segment of the test's topic, as the broker keeps it on disk."""
    services = Path(os.environ.get("ROSTER_SERVICES_DIR", ROOT / ".services"))
    return b"".join(p.read_bytes() for p in
                    (services / "kafka" / "data").glob(f"{settings.kafka_topic}-*/*.log"))


def test_an_erasure_leaves_kafka_and_the_stores_without_the_values_and_a_rebuild_agrees(
    pipeline_settings: Settings, pipeline_service: AgentService, roster: Roster
) -> None:
    settings, service = pipeline_settings, pipeline_service
    roster.start("relay")
    roster.start("consume")
    body = onboard_body(bank_account="975318642097", email="zed.kafka@erasure.example.org",
                        phone="9011122233")
    agent = service.onboard(models.OnboardAgent(**body), BY).agent_id
    service.update(agent, models.UpdateAgent(phone="9012345678"), BY)
    service.reject(agent, models.Decide(), BY)
    Workload(service).run(40)
    assert caught_up(settings, service), "published (masked) before the erasure"
    service.erase(agent, models.ErasePersonalData(reason="the agent asked for it"), BY)
    Workload(service, seed=3).run(20)
    assert caught_up(settings, service)

    values = [body[k] for k in PERSONAL] + ["9012345678"]
    on_disk = _segments(settings)
    assert mask("pan", body["pan"]).encode() in on_disk, "the scan reads the topic's segments"
    assert [v for v in values if v.encode() in on_disk] == []
    masked = [mask(k, body[k]) for k in PERSONAL]
    assert [t for t in values + masked if t in read_model_text(settings)] == []

    rebuilt = roster.run("rebuild", "--all", "--quiet")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert caught_up(settings, service)
    assert [t for t in values + masked if t in read_model_text(settings)] == []
    assert_whole_log_folded(settings, service)
