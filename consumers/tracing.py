"""The consumers' spans: applying a traced event to a projection joins the event's trace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry.trace import SpanKind

from commands import tracing
from consumers.applier import Delivery


@contextmanager
def applying(projection: str, deliveries: Sequence[Delivery]) -> Iterator[None]:
    """Spans of applying `deliveries` to `projection`, one per traced event, each a child of
    the span that handed the event on (the relay's, or the command's on the log feed), open
    while the block applies the batch they came in."""
    spans = [tracing.child(d.envelope.trace, f"apply {projection}", SpanKind.CONSUMER, {
                 "roster.projection": projection, "roster.position": d.position,
                 "roster.event_type": d.envelope.type, "roster.batch_size": len(deliveries)})
             for d in deliveries if d.envelope is not None and d.envelope.trace]
    try:
        yield
    finally:
        for span in spans:
            span.end()
