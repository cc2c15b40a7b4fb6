"""What the read API needs to know, filled in by the wiring from the settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from projections.envelope import Envelope
from webkit.auth import Verifier
from webkit.limits import Limits
from webkit.rate_limits import RateLimitConfig


@dataclass(frozen=True)
class ReadApiConfig:
    """Secrets, the tracking source the read models are fed from, and waiting bounds."""

    verifier: Verifier
    """Checks the bearer tokens."""
    source: str
    """The tracking source of the consumers: the Kafka topic, or `log`."""
    partitions: int
    """How many partitions the source has (1 for the log)."""
    wait_seconds: float = 5.0
    """The longest a read waits for `min_position`."""
    max_waiting: int = 64
    """How many reads may wait for a position at once; past it a read is answered at once."""
    reader_threads: int = 4
    """How many threads run read-model queries at once (more only contend for the GIL)."""
    log_head: Callable[[], int] = lambda: 0
    """The position of the newest event in the log, for the operations page's lag (the one
    thing it asks of the event store besides audit replays)."""
    history: Callable[[UUID], Sequence[Envelope]] = lambda _: ()
    """One agent's events from the event store, oldest first, personal values masked (audit
    replays); raises `EventStoreUnavailable` when the store does not answer."""
    close_event_store: Callable[[], None] = lambda: None
    """Releases what `log_head` and `history` opened (called on shutdown)."""
    exports_dir: Path = Path(".roster/exports")
    """Where the export worker writes run files (downloads are served from it)."""
    rate_limits: RateLimitConfig | None = None
    """The rate limits, or none."""
    cors_origins: tuple[str, ...] = ()
    """Origins whose browsers may call the API (CORS); none by default."""
    limits: Limits = field(default_factory=Limits)
    """Bounds on a request's headers and on the time its body may take."""
