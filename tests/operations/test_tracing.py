"""Tracing across the broker: a write's request span, its command span, the relay's publish
spans and each consumer's apply spans form one trace (PostgreSQL and Kafka, the SDK's in-memory
exporter); and an untraced write stamps nothing on its events."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from commands import tracing
from commands.service import AgentService
from consumers.log import EventLog
from projections.agent_summary import AgentSummaryProjection
from projections.timeline import TimelineProjection
from roster import pipeline, wiring
from roster import tracing as set_up
from roster.settings import Settings
from tests.builders import onboard_body
from tests.pipeline.workload import wait_for
from webkit.auth import Role, issue_token

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


def _clerk(settings: Settings) -> dict[str, str]:
    token = issue_token(settings.jwt_secret.get_secret_value(), "ann", Role.CLERK, 600)
    return {"Authorization": f"Bearer {token}"}


def _one(spans: list[ReadableSpan], kind: SpanKind, name: str) -> ReadableSpan:
    found = [s for s in spans if s.kind is kind and s.name == name]
    assert len(found) == 1, [(s.kind, s.name) for s in spans]
    return found[0]


def test_one_trace_spans_the_write_api_the_relay_and_the_consumers(
    pipeline_settings: Settings, pipeline_service: AgentService,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "TRACER", provider.get_tracer("roster"))
    app = set_up.instrument(wiring.write_api(pipeline_settings, pipeline_service), provider)
    with TestClient(app) as client:
        made = client.post("/v1/agents", json=onboard_body(), headers=_clerk(pipeline_settings))
    assert made.status_code == 201, made.text
    agent_id = made.json()["agent_id"]

    relay = pipeline.relay(pipeline_settings)
    feed = pipeline.kafka_feed(pipeline_settings,
                               [AgentSummaryProjection(), TimelineProjection()],
                               f"traced-{uuid.uuid4().hex[:8]}")
    try:
        assert wait_for(lambda: relay.publish_once() > 0, timeout=30), "the relay published"
        feed.subscribe()
        applied: list[ReadableSpan] = []

        def both_applied() -> bool:
            feed.poll_once(timeout_ms=200)
            applied[:] = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CONSUMER]
            return {s.name for s in applied} == {"apply agent_summary", "apply timeline"}

        # a group's first join waits for the broker's coordinator, slow after a broker restart
        assert wait_for(both_applied, timeout=120), \
            f"both projections applied the events; spans: {[s.name for s in applied]}"
    finally:
        feed.close()
        relay.close()

    spans = list(exporter.get_finished_spans())
    request = _one(spans, SpanKind.SERVER, "POST /v1/agents")
    command = _one(spans, SpanKind.INTERNAL, "command onboard")
    published = [s for s in spans if s.kind is SpanKind.PRODUCER]
    events = pipeline_service.history(uuid.UUID(agent_id))
    assert len(published) == len(events), "a publish span per event of the onboarding"

    assert request.context is not None
    assert command.context is not None
    trace_id = request.context.trace_id
    assert all(s.context is not None and s.context.trace_id == trace_id
               for s in [command, *published, *applied]), "one trace"
    assert command.parent is not None
    assert command.parent.span_id == request.context.span_id
    assert {s.parent.span_id for s in published if s.parent} == {command.context.span_id}, \
        "the relay's spans are children of the command (its context came in the event)"
    publish_ids = {s.context.span_id for s in published if s.context}
    assert applied, "the consumers traced their work"
    assert all(s.parent is not None and s.parent.span_id in publish_ids for s in applied), \
        "each apply span is a child of a publish span (its context came in the Kafka header)"
    assert {s.attributes["roster.position"] for s in applied if s.attributes} <= \
        {s.attributes["roster.position"] for s in published if s.attributes}
    stamped: str = events[0].provenance.trace  # type: ignore[attr-defined]
    assert stamped.split("-")[1] == f"{trace_id:032x}", "the event's metadata holds the trace"


def test_an_untraced_write_stamps_no_trace_on_its_events(service: AgentService,
                                                         settings: Settings) -> None:
    with TestClient(wiring.write_api(settings, service)) as client:
        made = client.post("/v1/agents", json=onboard_body(), headers=_clerk(settings))
    assert made.status_code == 201, made.text
    page = EventLog(service).read(0, 100)
    assert page.envelopes
    assert all(e.trace == "" for e in page.envelopes)


def test_a_traced_search_keeps_its_query_string_out_of_the_span(settings: Settings) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = set_up.instrument(wiring.read_api(settings), provider)
    token = issue_token(settings.jwt_secret.get_secret_value(), "vi", Role.VIEWER, 600)
    with TestClient(app) as client:
        client.get("/v1/agents", params={"q": "meera", "region": "WEST"},
                   headers={"Authorization": f"Bearer {token}"})
    request = _one(list(exporter.get_finished_spans()), SpanKind.SERVER, "GET /v1/agents")
    assert request.attributes is not None
    assert request.attributes.get("http.route") == "/v1/agents"
    assert "meera" not in str(dict(request.attributes)), request.attributes
