"""Domain exceptions: each broken rule has its own class and a machine-readable code."""


class DomainError(Exception):
    """Base of every error the domain raises; `code` names the broken rule."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidValue(DomainError):
    """A value does not have the required form; `field` names where it was given."""

    code = "invalid_value"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class RuleBroken(DomainError):
    """A command was refused because a business rule forbids it in the current state."""

    code = "rule_broken"


class TransitionNotAllowed(RuleBroken):
    """The agent's status does not allow this command."""

    code = "transition_not_allowed"


class LicenseRequired(RuleBroken):
    """Approval needs at least one license that has not expired."""

    code = "license_required"


class SecondApproverRequired(RuleBroken):
    """A reinstatement must be approved by someone other than its requester."""

    code = "second_approver_required"


class ManagerNotActive(RuleBroken):
    """A manager must be ACTIVE to take on a report."""

    code = "manager_not_active"


class HierarchyCycle(RuleBroken):
    """The move would make an agent report, directly or not, to itself."""

    code = "hierarchy_cycle"


class ReportsNotReassigned(RuleBroken):
    """An agent with direct reports is terminated only when the command says where they go."""

    code = "reports_not_reassigned"


class LicenseNotFound(RuleBroken):
    """The agent holds no license with that number."""

    code = "license_not_found"


class LicenseNotActive(RuleBroken):
    """The license was revoked; it cannot be renewed or revoked again."""

    code = "license_not_active"


class NothingToChange(RuleBroken):
    """An update named no field whose value differs from the current one."""

    code = "nothing_to_change"


class PersonalDataErased(RuleBroken):
    """The agent's personal data was erased: it cannot be erased again, nor the agent changed."""

    code = "personal_data_erased"
