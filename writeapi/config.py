"""What the write API needs to know beyond the application service."""

from __future__ import annotations

from dataclasses import dataclass

from webkit.rate_limits import RateLimitConfig


@dataclass(frozen=True)
class WriteApiConfig:
    """Secrets and limits of the write API, filled in by the wiring from the settings."""

    jwt_secret: str
    hrms_secret: str
    hrms_tolerance_seconds: int = 300
    max_body_bytes: int = 64 * 1024
    token_max_age_seconds: int = 24 * 3600
    """Tokens issued longer ago than this are refused, whatever their expiry."""
    rate_limits: RateLimitConfig | None = None
    """The rate limits, or none."""
    cors_origins: tuple[str, ...] = ()
    """Origins whose browsers may call the API (CORS); none by default."""
