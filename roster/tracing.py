"""OpenTelemetry set up for roster's processes from the standard `OTEL_*` variables.

Off by default: spans are recorded and exported only when `OTEL_TRACES_EXPORTER` names an
exporter, `otlp` (OTLP over HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT`, by default
http://localhost:4318) or `console`. `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` and the
`OTEL_TRACES_SAMPLER` variables apply as the SDK reads them.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.trace import Span

UNTRACED_URLS = "health/,metrics"
"""Probes and scrapes: no span for these."""
QUERY_ATTRIBUTES = ("http.url", "url.full", "url.query")
"""Where the instrumentation records a request's query string, which may hold a searched name."""


def _without_query(span: Span, _: dict[str, Any]) -> None:
    """Keep query strings (search terms, names among them) out of the request's span."""
    recorded = getattr(span, "attributes", None) or {}
    for key in QUERY_ATTRIBUTES:
        value = recorded.get(key)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(key, value.split("?", 1)[0])
        elif key == "url.query" and value:
            span.set_attribute(key, "")


def _exporter(name: str) -> SpanExporter:
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        return OTLPSpanExporter()
    if name == "console":
        return ConsoleSpanExporter()
    raise ValueError(f"OTEL_TRACES_EXPORTER={name!r}: roster exports spans to otlp or console")


def configure(service: str) -> bool:
    """Install a tracer provider exporting as `OTEL_TRACES_EXPORTER` says, named `service`
    unless `OTEL_SERVICE_NAME` names it; whether tracing is on."""
    names = [n.strip().lower() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",")]
    chosen = [n for n in names if n and n != "none"]
    if not chosen:
        return False
    named = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service}
    provider = TracerProvider(resource=Resource.create(named))
    for name in chosen:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    trace.set_tracer_provider(provider)
    return True


def instrument(app: FastAPI, provider: trace.TracerProvider | None = None) -> FastAPI:
    """`app` with a span per request (probes and scrapes aside; query strings left out), when
    tracing is on: through `provider`, or the one `configure` installed."""
    chosen = provider or trace.get_tracer_provider()
    if isinstance(chosen, TracerProvider):
        FastAPIInstrumentor.instrument_app(app, tracer_provider=chosen,
                                           excluded_urls=UNTRACED_URLS,
                                           server_request_hook=_without_query)
    return app
