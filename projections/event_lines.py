"""One human-readable line for each event, as the timeline and notifications show it."""

from __future__ import annotations

from projections import events as ev
from projections.envelope import Envelope


def _because(e: ev.AgentEvent) -> str:
    parts = [p for p in (ev.reason_code_of(e), ev.reason_of(e)) if p]
    return f" ({'; '.join(parts)})" if parts else ""


def line(env: Envelope) -> str:
    """What happened in `env`, in one sentence."""
    e, by = env.event, env.actor
    match e:
        case ev.Onboarded():
            return (f"Onboarded as {e.agent_code} ({e.name}), {e.agent_type} in office "
                    f"{e.office_code}, {e.region}")
        case ev.ProfileUpdated(changes=changes):
            return f"Profile updated: {', '.join(sorted(changes))}"
        case ev.LicenseAdded(license=lic):
            return f"{lic.license_type} license {lic.number} added, expires {lic.expires_on}"
        case ev.LicenseRenewed(number=number, expires_on=expires_on):
            return f"License {number} renewed until {expires_on}"
        case ev.LicenseRevoked(number=number, revoked_on=revoked_on):
            return f"License {number} revoked on {revoked_on}{_because(e)}"
        case ev.Approved():
            return f"Approved by {by}"
        case ev.Rejected():
            return f"Onboarding rejected by {by}{_because(e)}"
        case ev.Suspended():
            return f"Suspended by {by}{_because(e)}"
        case ev.Resumed():
            return f"Suspension lifted by {by}{_because(e)}"
        case ev.Terminated():
            return f"Terminated by {by}{_because(e)}"
        case ev.ReinstatementRequested():
            return f"Reinstatement requested by {by}{_because(e)}"
        case ev.ReinstatementApproved():
            return f"Reinstatement approved by {by}"
        case ev.ReinstatementRejected():
            return f"Reinstatement rejected by {by}{_because(e)}"
        case ev.ManagerChanged(manager_id=manager, previous_manager_id=previous):
            return f"Now reports to {manager or 'nobody'} (before: {previous or 'nobody'})"
        case ev.ReportAssigned(report_id=report):
            return f"Agent {report} now reports here"
        case ev.ReportReleased(report_id=report):
            return f"Agent {report} no longer reports here"
        case ev.PersonalDataErased():
            return f"Personal data erased by {by}{_because(e)}"
        case ev.PersonalDataDisclosed(fields=shown):
            return f"Personal data ({', '.join(shown)}) shown to {by}{_because(e)}"
    return env.type
