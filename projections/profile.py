"""The agent profile: everything about one agent in one JSON document.

`evolve` is the whole logic and pure. The document lives in the read-model database
(`agent_profile`) and, on PostgreSQL, is copied to Redis by the Redis refresh; the read API adds
the manager chain from the hierarchy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import Enum
from typing import Any
from uuid import UUID

from domain.values import ERASED, PERSONAL_FIELDS, AgentStatus
from projections import cache_marks
from projections import events as ev
from projections.agent_fold import check_next, fold
from projections.db import Cursor
from projections.document_table import Document, DocumentTable
from projections.envelope import Envelope

ATTRIBUTES = ("agent_code", "first_name", "last_name", "agent_type", "office_code", "region",
              "email", "phone", "pan", "aadhaar", "bank_account", "date_of_joining")
"""The agent's own fields in a profile (personal ones masked)."""


def erased(fields: dict[str, Any]) -> dict[str, Any]:
    """The personal ones among `fields` that hold a value, each as the erasure marker."""
    return {k: ERASED for k, v in fields.items() if k in PERSONAL_FIELDS and v is not None}


def _json_value(value: Any) -> Any:
    """An event's value as a document holds it: enums, dates and ids as their text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | UUID):
        return str(value)
    return value


def _onboarded(env: Envelope, e: ev.Onboarded) -> Document:
    return {
        "agent_id": str(env.agent_id),
        **{name: _json_value(getattr(e, name)) for name in ATTRIBUTES},
        "manager_id": _json_value(e.manager_id),
        "status": AgentStatus.PENDING_APPROVAL.value,
        "licenses": {},
        "status_history": [_status_entry(env, AgentStatus.PENDING_APPROVAL)],
        "reports": [],
        "onboarded_at": env.occurred_at.isoformat(),
    }


def _status_entry(env: Envelope, status: AgentStatus) -> dict[str, Any]:
    return {"status": status.value, "at": env.occurred_at.isoformat(), "actor": env.actor,
            "event": env.type, "reason": ev.reason_of(env.event),
            "reason_code": ev.reason_code_of(env.event)}


def _licensed(doc: Document, number: str, **changes: Any) -> None:
    doc["licenses"] = {**doc["licenses"], number: {**doc["licenses"][number], **changes}}


def _change(doc: Document, env: Envelope) -> None:
    e = env.event
    if e.status_after is not None:
        doc["status"] = e.status_after.value
        doc["status_history"] = [*doc["status_history"], _status_entry(env, e.status_after)]
        if e.clears_manager:
            doc["manager_id"] = None
        return
    match e:
        case ev.ProfileUpdated(changes=changes):
            doc.update({k: v for k, v in changes.items() if k in ATTRIBUTES})
        case ev.LicenseAdded(license=lic):
            doc["licenses"] = {**doc["licenses"], lic.number: lic.terms()}
        case ev.LicenseRenewed(number=number, expires_on=expires_on):
            _licensed(doc, number, expires_on=expires_on.isoformat())
        case ev.LicenseRevoked(number=number, revoked_on=revoked_on):
            _licensed(doc, number, revoked_on=revoked_on.isoformat())
        case ev.ManagerChanged(manager_id=manager_id):
            doc["manager_id"] = _json_value(manager_id)
        case ev.ReportAssigned(report_id=report_id):
            doc["reports"] = [*doc["reports"], str(report_id)]
        case ev.ReportReleased(report_id=report_id):
            doc["reports"] = [r for r in doc["reports"] if r != str(report_id)]
        case ev.PersonalDataErased():
            doc.update(erased(doc))
        case ev.PersonalDataDisclosed():
            pass
        case _:
            raise ValueError(f"the profile does not know event type {env.type!r}")


def evolve(doc: Document | None, env: Envelope) -> Document:
    """The profile after `env`; raises `OutOfOrder` unless `env` is the agent's next event.
    Computed once per envelope for every read model folding the same profile (the result is
    shared: never change it in place)."""
    return env.folded("profile", doc, _evolve)


def _evolve(doc: Document | None, env: Envelope) -> Document:
    check_next(None if doc is None else doc["version"], env)
    if doc is None:
        assert isinstance(env.event, ev.Onboarded)
        after = _onboarded(env, env.event)
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
    version = 1
    uncompared: frozenset[str] = frozenset()
    table = DocumentTable("agent_profile")

    def create(self, cur: Cursor) -> None:
        """Create the profile and cache-mark tables when missing."""
        self.table.create(cur)
        cache_marks.create(cur)

    def apply(self, cur: Cursor, envelopes: Sequence[Envelope]) -> None:
        """Fold the batch into the touched profiles; write and mark each changed one once."""
        docs = self.table.load(cur, list({env.agent_id for env in envelopes}))
        changed = {step.env.agent_id for step in fold(docs, envelopes, evolve, version)}
        if changed:
            self.table.save(cur, docs, changed)
            cache_marks.mark(cur, [cache_marks.profile_key(i) for i in changed])

