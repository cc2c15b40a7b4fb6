"""Trace context that travels with commands and their events (W3C `traceparent` strings).

The write side stamps each event with the context of the command span that made it; the relay
and the consumers start their spans as children of it, so one trace follows a write from the
request to every read model. Spans record only when a process configured a tracer provider
(`roster.tracing`); otherwise every call here costs next to nothing and stamps nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagate import extract, inject
from opentelemetry.trace import Span, SpanKind
from opentelemetry.util.types import AttributeValue

TRACER = trace.get_tracer("roster")
"""The tracer of every span roster starts by hand."""


def traceparent(span: Span | None = None) -> str:
    """The `traceparent` of `span` (the current span by default); empty when it is not
    recorded, so untraced events carry nothing."""
    found = span if span is not None else trace.get_current_span()
    if not found.get_span_context().is_valid:
        return ""
    carrier: dict[str, str] = {}
    inject(carrier, context=trace.set_span_in_context(found))
    return carrier.get("traceparent", "")


def context_of(parent: str) -> Context:
    """The context a `traceparent` names (empty: a new trace)."""
    return extract({"traceparent": parent}) if parent else Context()


def child(parent: str, name: str, kind: SpanKind,
          attributes: Mapping[str, AttributeValue] | None = None) -> Span:
    """A span started as a child of `parent` (a `traceparent`); the caller ends it."""
    return TRACER.start_span(name, context=context_of(parent), kind=kind,
                             attributes=attributes)
