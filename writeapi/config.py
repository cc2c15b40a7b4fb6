"""What the write API needs to know beyond the application service."""

from __future__ import annotations

from dataclasses import dataclass, field

from webkit.auth import Verifier
from webkit.limits import Limits
from webkit.rate_limits import RateLimitConfig


@dataclass(frozen=True)
class WriteApiConfig:
    """Secrets and limits of the write API, filled in by the wiring from the settings."""

    verifier: Verifier
    """Checks the bearer tokens."""
    hrms_secret: str
    hrms_tolerance_seconds: int = 300
    max_body_bytes: int = 64 * 1024
    max_batch_body_bytes: int = 1024 * 1024
    """The body of a batch: `POST /v1/agents:batch` and the HR webhook."""
    rate_limits: RateLimitConfig | None = None
    """The rate limits, or none."""
    cors_origins: tuple[str, ...] = ()
    """Origins whose browsers may call the API (CORS); none by default."""
    limits: Limits = field(default_factory=Limits)
    """Bounds on a request's headers and on the time its body may take."""
