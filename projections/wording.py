"""One human-readable line for each event, as the timeline and notifications show it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections.envelope import Envelope


def _because(p: dict[str, Any]) -> str:
    parts = [p[k] for k in ("reason_code", "reason") if p.get(k)]
    return f" ({'; '.join(parts)})" if parts else ""


_LINES: dict[str, Callable[[Envelope], str]] = {
    "Onboarded": lambda e: (f"Onboarded as {e.payload['agent_code']} ({e.payload['first_name']} "
                            f"{e.payload['last_name']}), {e.payload['agent_type']} in office "
                            f"{e.payload['office_code']}, {e.payload['region']}"),
    "ProfileUpdated": lambda e: f"Profile updated: {', '.join(sorted(e.payload['changes']))}",
    "LicenseAdded": lambda e: (f"{e.payload['license']['license_type']} license "
                               f"{e.payload['license']['number']} added, expires "
                               f"{e.payload['license']['expires_on']}"),
    "LicenseRenewed": lambda e: (f"License {e.payload['number']} renewed until "
                                 f"{e.payload['expires_on']}"),
    "LicenseRevoked": lambda e: (f"License {e.payload['number']} revoked on "
                                 f"{e.payload['revoked_on']}{_because(e.payload)}"),
    "Approved": lambda e: f"Approved by {e.actor}",
    "Rejected": lambda e: f"Onboarding rejected by {e.actor}{_because(e.payload)}",
    "Suspended": lambda e: f"Suspended by {e.actor}{_because(e.payload)}",
    "Resumed": lambda e: f"Suspension lifted by {e.actor}{_because(e.payload)}",
    "Terminated": lambda e: f"Terminated by {e.actor}{_because(e.payload)}",
    "ReinstatementRequested": lambda e: (f"Reinstatement requested by {e.actor}"
                                         f"{_because(e.payload)}"),
    "ReinstatementApproved": lambda e: f"Reinstatement approved by {e.actor}",
    "ReinstatementRejected": lambda e: (f"Reinstatement rejected by {e.actor}"
                                        f"{_because(e.payload)}"),
    "ManagerChanged": lambda e: (f"Now reports to {e.payload.get('manager_id') or 'nobody'} "
                                 f"(before: {e.payload.get('previous_manager_id') or 'nobody'})"),
    "ReportAssigned": lambda e: f"Agent {e.payload['report_id']} now reports here",
    "ReportReleased": lambda e: f"Agent {e.payload['report_id']} no longer reports here",
}


def line(env: Envelope) -> str:
    """What happened in `env`, in one sentence."""
    described = _LINES.get(env.type)
    return described(env) if described else env.type
