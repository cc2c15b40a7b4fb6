"""Valid commands and agents for tests, with unique identity numbers on every call."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from roster.demo import aadhaar, pan

_counter = itertools.count(1)
TODAY = date(2026, 6, 1)
__all__ = ["TODAY", "aadhaar", "license_body", "onboard_body", "pan"]


def license_body(n: int | None = None, expires_on: date | None = None) -> dict[str, Any]:
    """A license in force on `TODAY`."""
    n = n if n is not None else next(_counter)
    return {"number": f"LIC-{n:06d}", "license_type": "LIFE",
            "issued_on": (TODAY - timedelta(days=365)).isoformat(),
            "expires_on": (expires_on or TODAY + timedelta(days=365)).isoformat()}


def onboard_body(**overrides: Any) -> dict[str, Any]:
    """An onboarding request body with fresh unique values and one license."""
    n = next(_counter)
    body: dict[str, Any] = {
        "agent_code": f"AG-{n:06d}", "first_name": "Asha", "last_name": f"Rao{n}",
        "agent_type": "INDIVIDUAL", "office_code": "MUM01", "region": "WEST",
        "email": f"agent{n}@example.com", "phone": "9876543210", "pan": pan(n),
        "aadhaar": aadhaar(n), "date_of_joining": "2024-01-15",
        "licenses": [license_body(n)],
    }
    body.update(overrides)
    return body
