"""The agent profile: everything about one agent in one JSON document.

`evolve` is the whole logic and pure. The document lives in the read-model database
(`agent_profile`) and, on PostgreSQL, is copied to Redis by the cache sync; the read API adds
the manager chain from the hierarchy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.values import AgentStatus
from projections import cache
from projections.db import Cursor
from projections.document_table import Document, DocumentTable
from projections.envelope import Envelope
from projections.per_agent import check_next, fold

STATUS_AFTER = {
    "Approved": AgentStatus.ACTIVE,
    "Rejected": AgentStatus.REJECTED,
    "Suspended": AgentStatus.SUSPENDED,
    "Resumed": AgentStatus.ACTIVE,
    "Terminated": AgentStatus.TERMINATED,
    "ReinstatementRequested": AgentStatus.REINSTATEMENT_PENDING,
    "ReinstatementApproved": AgentStatus.ACTIVE,
    "ReinstatementRejected": AgentStatus.TERMINATED,
}
"""The status each status event leads to."""

CLEARS_MANAGER = frozenset({"Rejected", "Terminated"})
"""Events after which the agent reports to nobody."""

ATTRIBUTES = ("agent_code", "first_name", "last_name", "agent_type", "office_code", "region",
               "email", "phone", "pan", "aadhaar", "bank_account", "date_of_joining")
"""The agent's own fields in a profile (personal ones masked)."""


def _onboarded(env: Envelope) -> Document:
    p = env.payload
    return {
        "agent_id": str(env.agent_id),
        **{name: p.get(name) for name in ATTRIBUTES},
        "manager_id": p.get("manager_id"),
        "status": AgentStatus.PENDING_APPROVAL.value,
        "licenses": {},
        "status_history": [_status_entry(env, AgentStatus.PENDING_APPROVAL)],
        "reports": [],
        "onboarded_at": env.occurred_at.isoformat(),
    }


def _status_entry(env: Envelope, status: AgentStatus) -> dict[str, Any]:
    return {"status": status.value, "at": env.occurred_at.isoformat(), "actor": env.actor,
            "event": env.type, "reason": env.payload.get("reason"),
            "reason_code": env.payload.get("reason_code")}


def _licensed(doc: Document, number: str, **changes: Any) -> None:
    doc["licenses"] = {**doc["licenses"], number: {**doc["licenses"][number], **changes}}


def _change(doc: Document, env: Envelope) -> None:
    p = env.payload
    if env.type in STATUS_AFTER:
        status = STATUS_AFTER[env.type]
        doc["status"] = status.value
        doc["status_history"] = [*doc["status_history"], _status_entry(env, status)]
        if env.type in CLEARS_MANAGER:
            doc["manager_id"] = None
    elif env.type == "ProfileUpdated":
        doc.update({k: v for k, v in p["changes"].items() if k in ATTRIBUTES})
    elif env.type == "LicenseAdded":
        lic = dict(p["license"])
        doc["licenses"] = {**doc["licenses"], lic.pop("number"): lic}
    elif env.type == "LicenseRenewed":
        _licensed(doc, p["number"], expires_on=p["expires_on"])
    elif env.type == "LicenseRevoked":
        _licensed(doc, p["number"], revoked_on=p["revoked_on"])
    elif env.type == "ManagerChanged":
        doc["manager_id"] = p.get("manager_id")
    elif env.type == "ReportAssigned":
        doc["reports"] = [*doc["reports"], p["report_id"]]
    elif env.type == "ReportReleased":
        doc["reports"] = [r for r in doc["reports"] if r != p["report_id"]]
    else:
        raise ValueError(f"the profile does not know event type {env.type!r}")


def evolve(doc: Document | None, env: Envelope) -> Document:
    """The profile after `env`; raises `OutOfOrder` unless `env` is the agent's next event."""
    check_next(None if doc is None else doc["version"], env)
    if doc is None:
        after = _onboarded(env)
    else:
        after = dict(doc)
        _change(after, env)
    after.update(version=env.agent_version, position=env.position,
                 updated_at=env.occurred_at.isoformat())
    return after


def version(doc: Document) -> int:
    """The agent version a profile reflects."""
    return int(doc["version"])


class AgentProfileProjection:
    """Profiles (`agent_profile`), each change marked for the Redis copy."""

    name = "agent_profile"
    table = DocumentTable("agent_profile")

    def create(self, cur: Cursor) -> None:
        """Create the profile and cache-mark tables when missing."""
        self.table.create(cur)
        cache.create(cur)

    def apply(self, cur: Cursor, envelopes: Sequence[Envelope]) -> None:
        """Fold the batch into the touched profiles; write and mark each changed one once."""
        docs = self.table.load(cur, list({env.agent_id for env in envelopes}))
        changed = {step.env.agent_id for step in fold(docs, envelopes, evolve, version)}
        if changed:
            self.table.save(cur, docs, changed)
            cache.mark(cur, [cache.profile_key(i) for i in changed])

