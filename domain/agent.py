"""The `Agent` aggregate: an agent's attributes, licenses, status and place in the hierarchy.

Each public command method checks its rules with a named guard, then records one event whose
body changes the state. Every event carries its `Provenance` (declared once, on `Agent.Event`),
and declares its `class_version` so that a later change of shape can be upcast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import (
    HierarchyCycle,
    LicenseNotActive,
    LicenseNotFound,
    LicenseRequired,
    ManagerNotActive,
    NothingToChange,
    PersonalDataErased,
    ReportsNotReassigned,
    RuleBroken,
    SecondApproverRequired,
    TransitionNotAllowed,
)
from domain.values import (
    AgentStatus,
    AgentType,
    License,
    Provenance,
    Region,
    ReinstatementReason,
    TerminationReason,
)

S = AgentStatus
UPDATABLE_FIELDS = frozenset(
    {"first_name", "last_name", "agent_type", "office_code", "region", "email", "phone",
     "bank_account"}
)
"""Fields a profile update may change; identity numbers and the agent code are fixed."""


class Agent(Aggregate):
    """An insurance or sales agent, from onboarding to termination and reinstatement."""

    class Event(Aggregate.Event):
        """Every agent event: it carries who did it, in which request, from where."""

        provenance: Provenance

    class Onboarded(Event, Aggregate.Created):
        """The agent was onboarded and waits for approval."""

        class_version = 1
        agent_code: str
        first_name: str
        last_name: str
        agent_type: AgentType
        office_code: str
        region: Region
        email: str
        phone: str
        pan: str
        aadhaar: str
        bank_account: str | None
        date_of_joining: date
        manager_id: UUID | None

    class ProfileUpdated(Event):
        """Some profile or contact fields changed; `changes` holds their new values."""

        class_version = 1
        changes: dict[str, str | None]

    class LicenseAdded(Event):
        """A license was added."""

        class_version = 1
        license: License

    class LicenseRenewed(Event):
        """A license's expiry moved."""

        class_version = 1
        number: str
        expires_on: date

    class LicenseRevoked(Event):
        """A license was revoked."""

        class_version = 1
        number: str
        revoked_on: date
        reason: str | None

    class Approved(Event):
        """The agent was approved and is ACTIVE."""

        class_version = 1

    class Rejected(Event):
        """The onboarding was rejected; the agent left its manager's reports."""

        class_version = 1
        reason: str | None

    class Suspended(Event):
        """The agent was suspended."""

        class_version = 1
        reason: str | None

    class Resumed(Event):
        """A suspension ended."""

        class_version = 1
        reason: str | None

    class Terminated(Event):
        """The agency ended; the agent left its manager's reports."""

        class_version = 1
        reason_code: TerminationReason
        reason: str | None
        reports_reassigned_to: UUID | None

    class ReinstatementRequested(Event):
        """Someone asked for a terminated agent to come back; another user must decide."""

        class_version = 1
        reason_code: ReinstatementReason
        reason: str | None

    class ReinstatementApproved(Event):
        """A second user approved the reinstatement; the agent is ACTIVE again."""

        class_version = 1

    class ReinstatementRejected(Event):
        """The reinstatement was refused; the agent stays TERMINATED."""

        class_version = 1
        reason: str | None

    class ManagerChanged(Event):
        """The agent now reports to another manager (or to none)."""

        class_version = 1
        manager_id: UUID | None
        previous_manager_id: UUID | None
        reason: str | None

    class ReportAssigned(Event):
        """An agent now reports directly to this one."""

        class_version = 1
        report_id: UUID

    class PersonalDataErased(Event):
        """The agent's data key was destroyed: its sealed fields read as `erased` ever after."""

        class_version = 1
        reason: str

    class PersonalDataDisclosed(Event):
        """Someone was shown the agent's sealed fields in full, for a stated reason."""

        class_version = 1
        fields: list[str]
        reason: str

    class ReportReleased(Event):
        """An agent no longer reports directly to this one."""

        class_version = 1
        report_id: UUID

    @event(Onboarded)
    def __init__(
        self,
        agent_code: str,
        first_name: str,
        last_name: str,
        agent_type: AgentType,
        office_code: str,
        region: Region,
        email: str,
        phone: str,
        pan: str,
        aadhaar: str,
        bank_account: str | None,
        date_of_joining: date,
        manager_id: UUID | None,
        provenance: Provenance,
    ) -> None:
        self.agent_code = agent_code
        self.first_name = first_name
        self.last_name = last_name
        self.agent_type = AgentType(agent_type)
        self.office_code = office_code
        self.region = Region(region)
        self.email = email
        self.phone = phone
        self.pan = pan
        self.aadhaar = aadhaar
        self.bank_account = bank_account
        self.date_of_joining = date_of_joining
        self.manager_id = manager_id
        self.status = S.PENDING_APPROVAL
        self.licenses: dict[str, License] = {}
        self.reports: set[UUID] = set()
        self.reinstatement_requested_by: str | None = None
        self.erased = False

    # --- guards -------------------------------------------------------------------------------

    def _check_status(self, command: str, *allowed: AgentStatus) -> None:
        if self.erased:
            raise PersonalDataErased(
                f"cannot {command} an agent whose personal data was erased")
        if self.status not in allowed:
            raise TransitionNotAllowed(f"cannot {command} an agent who is {self.status.value}")

    def _check_has_valid_license(self, today: date) -> None:
        if not any(lic.is_valid_on(today) for lic in self.licenses.values()):
            raise LicenseRequired("approval needs at least one license that has not expired")

    def _check_not_closed(self, command: str) -> None:
        self._check_status(command, S.PENDING_APPROVAL, S.ACTIVE, S.SUSPENDED,
                           S.TERMINATED, S.REINSTATEMENT_PENDING)

    def _active_license(self, number: str) -> License:
        try:
            lic = self.licenses[number]
        except KeyError:
            raise LicenseNotFound(f"the agent holds no license {number}") from None
        if lic.revoked_on is not None:
            raise LicenseNotActive(f"license {number} was revoked on {lic.revoked_on}")
        return lic

    def check_can_take_report(self, report_id: UUID, chain: Iterable[UUID]) -> None:
        """Refuse `report_id` as a direct report unless this agent is ACTIVE and the move
        leaves no cycle; `chain` is this agent's manager chain up to the root."""
        if self.status != S.ACTIVE:
            raise ManagerNotActive(
                f"manager {self.agent_code} is {self.status.value}, not ACTIVE")
        if report_id == self.id or report_id in set(chain):
            raise HierarchyCycle(
                f"the agent would end up reporting to itself through {self.agent_code}")

    # --- commands -----------------------------------------------------------------------------

    def update(self, changes: Mapping[str, Any], provenance: Provenance) -> None:
        """Change profile and contact fields; fields whose value is unchanged are dropped."""
        self._check_not_closed("update")
        unknown = set(changes) - UPDATABLE_FIELDS
        if unknown:
            raise RuleBroken(f"fields cannot be updated: {', '.join(sorted(unknown))}")
        effective = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not effective:
            raise NothingToChange("the update changes nothing")
        self._updated(changes=effective, provenance=provenance)

    @event(ProfileUpdated)
    def _updated(self, changes: dict[str, Any], provenance: Provenance) -> None:
        for name, value in changes.items():
            setattr(self, name, value)
        self.agent_type = AgentType(self.agent_type)
        self.region = Region(self.region)

    def add_license(self, license: License, provenance: Provenance) -> None:
        """Add a license; its number must be new to this agent."""
        self._check_not_closed("add a license to")
        if license.number in self.licenses:
            raise RuleBroken(f"the agent already holds license {license.number}")
        self._license_added(license=license, provenance=provenance)

    @event(LicenseAdded)
    def _license_added(self, license: License, provenance: Provenance) -> None:
        self.licenses[license.number] = license

    def renew_license(self, number: str, expires_on: date, provenance: Provenance) -> None:
        """Move a license's expiry later."""
        self._check_not_closed("renew a license of")
        lic = self._active_license(number)
        if expires_on <= lic.expires_on:
            raise RuleBroken(f"a renewal must move the expiry past {lic.expires_on}")
        self._license_renewed(number=number, expires_on=expires_on, provenance=provenance)

    @event(LicenseRenewed)
    def _license_renewed(self, number: str, expires_on: date, provenance: Provenance) -> None:
        old = self.licenses[number]
        self.licenses[number] = License(old.number, old.license_type, old.issued_on, expires_on)

    def revoke_license(
        self, number: str, today: date, reason: str | None, provenance: Provenance
    ) -> None:
        """End a license today."""
        self._active_license(number)
        self._license_revoked(number=number, revoked_on=today, reason=reason,
                              provenance=provenance)

    @event(LicenseRevoked)
    def _license_revoked(
        self, number: str, revoked_on: date, reason: str | None, provenance: Provenance
    ) -> None:
        old = self.licenses[number]
        self.licenses[number] = License(
            old.number, old.license_type, old.issued_on, old.expires_on, revoked_on
        )

    def approve(self, today: date, provenance: Provenance) -> None:
        """Approve a pending agent; needs a license in force today."""
        self._check_status("approve", S.PENDING_APPROVAL)
        self._check_has_valid_license(today)
        self._approved(provenance=provenance)

    @event(Approved)
    def _approved(self, provenance: Provenance) -> None:
        self.status = S.ACTIVE

    def reject(self, reason: str | None, provenance: Provenance) -> None:
        """Refuse a pending agent."""
        self._check_status("reject", S.PENDING_APPROVAL)
        self._rejected(reason=reason, provenance=provenance)

    @event(Rejected)
    def _rejected(self, reason: str | None, provenance: Provenance) -> None:
        self.status = S.REJECTED
        self.manager_id = None

    def suspend(self, reason: str | None, provenance: Provenance) -> None:
        """Suspend an active agent."""
        self._check_status("suspend", S.ACTIVE)
        self._suspended(reason=reason, provenance=provenance)

    @event(Suspended)
    def _suspended(self, reason: str | None, provenance: Provenance) -> None:
        self.status = S.SUSPENDED

    def resume(self, reason: str | None, provenance: Provenance) -> None:
        """End a suspension."""
        self._check_status("resume", S.SUSPENDED)
        self._resumed(reason=reason, provenance=provenance)

    @event(Resumed)
    def _resumed(self, reason: str | None, provenance: Provenance) -> None:
        self.status = S.ACTIVE

    def terminate(
        self,
        reason_code: TerminationReason,
        reason: str | None,
        reports_reassigned_to: UUID | None,
        provenance: Provenance,
    ) -> None:
        """End the agency; direct reports must already have been moved to the named agent."""
        self._check_status("terminate", S.ACTIVE, S.SUSPENDED)
        if self.reports:
            raise ReportsNotReassigned(
                f"the agent has {len(self.reports)} direct reports; say where they go"
            )
        self._terminated(reason_code=reason_code, reason=reason,
                         reports_reassigned_to=reports_reassigned_to, provenance=provenance)

    @event(Terminated)
    def _terminated(
        self,
        reason_code: TerminationReason,
        reason: str | None,
        reports_reassigned_to: UUID | None,
        provenance: Provenance,
    ) -> None:
        self.status = S.TERMINATED
        self.manager_id = None

    def request_reinstatement(
        self, reason_code: ReinstatementReason, reason: str | None, provenance: Provenance
    ) -> None:
        """Ask for a terminated agent to be brought back."""
        self._check_status("request the reinstatement of", S.TERMINATED)
        self._reinstatement_requested(reason_code=reason_code, reason=reason,
                                      provenance=provenance)

    @event(ReinstatementRequested)
    def _reinstatement_requested(
        self, reason_code: ReinstatementReason, reason: str | None, provenance: Provenance
    ) -> None:
        self.status = S.REINSTATEMENT_PENDING
        self.reinstatement_requested_by = provenance.actor

    def approve_reinstatement(self, today: date, provenance: Provenance) -> None:
        """Bring the agent back; the approver is not the requester, and a license is in force."""
        self._check_status("approve the reinstatement of", S.REINSTATEMENT_PENDING)
        if provenance.actor == self.reinstatement_requested_by:
            raise SecondApproverRequired(
                "a reinstatement needs an approver other than its requester")
        self._check_has_valid_license(today)
        self._reinstatement_approved(provenance=provenance)

    @event(ReinstatementApproved)
    def _reinstatement_approved(self, provenance: Provenance) -> None:
        self.status = S.ACTIVE
        self.reinstatement_requested_by = None

    def reject_reinstatement(self, reason: str | None, provenance: Provenance) -> None:
        """Refuse a reinstatement; the agent stays terminated."""
        self._check_status("reject the reinstatement of", S.REINSTATEMENT_PENDING)
        self._reinstatement_rejected(reason=reason, provenance=provenance)

    @event(ReinstatementRejected)
    def _reinstatement_rejected(self, reason: str | None, provenance: Provenance) -> None:
        self.status = S.TERMINATED
        self.reinstatement_requested_by = None

    def change_manager(
        self, manager_id: UUID | None, reason: str | None, provenance: Provenance
    ) -> None:
        """Report to `manager_id` (checked with `check_can_take_report`) or to nobody."""
        self._check_status("move", S.PENDING_APPROVAL, S.ACTIVE, S.SUSPENDED)
        if manager_id == self.manager_id:
            raise NothingToChange("the agent already reports to that manager")
        self._manager_changed(manager_id=manager_id, previous_manager_id=self.manager_id,
                              reason=reason, provenance=provenance)

    @event(ManagerChanged)
    def _manager_changed(
        self,
        manager_id: UUID | None,
        previous_manager_id: UUID | None,
        reason: str | None,
        provenance: Provenance,
    ) -> None:
        self.manager_id = manager_id

    def assign_report(self, report_id: UUID, provenance: Provenance) -> None:
        """Record that `report_id` now reports directly to this agent."""
        self._report_assigned(report_id=report_id, provenance=provenance)

    @event(ReportAssigned)
    def _report_assigned(self, report_id: UUID, provenance: Provenance) -> None:
        self.reports.add(report_id)

    def release_report(self, report_id: UUID, provenance: Provenance) -> None:
        """Record that `report_id` no longer reports directly to this agent."""
        if report_id in self.reports:
            self._report_released(report_id=report_id, provenance=provenance)

    @event(ReportReleased)
    def _report_released(self, report_id: UUID, provenance: Provenance) -> None:
        self.reports.discard(report_id)

    def erase_personal_data(self, reason: str, provenance: Provenance) -> None:
        """Record the erasure of a terminated or rejected agent's personal data (the service
        destroys the data key); a second erasure is refused."""
        self._check_status("erase the personal data of", S.TERMINATED, S.REJECTED)
        self._personal_data_erased(reason=reason, provenance=provenance)

    @event(PersonalDataErased)
    def _personal_data_erased(self, reason: str, provenance: Provenance) -> None:
        self.erased = True

    def disclose_personal_data(
        self, fields: list[str], reason: str, provenance: Provenance
    ) -> None:
        """Record that `fields` were shown in full to the actor, for `reason` (allowed in any
        status, and after an erasure, when they show the marker)."""
        self._personal_data_disclosed(fields=fields, reason=reason, provenance=provenance)

    @event(PersonalDataDisclosed)
    def _personal_data_disclosed(
        self, fields: list[str], reason: str, provenance: Provenance
    ) -> None:
        pass
