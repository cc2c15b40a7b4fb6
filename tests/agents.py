"""Agents built straight in the domain, for unit and property tests."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from domain.agent import Agent
from domain.values import AgentType, License, LicenseType, Provenance, Region
from tests.builders import TODAY, aadhaar, pan

BY = Provenance("alice", "corr-1")
OTHER = Provenance("bob", "corr-2")


def new_agent(n: int = 1, manager_id: UUID | None = None) -> Agent:
    """A pending agent with no licenses."""
    return Agent(
        agent_code=f"AG-{n:04d}", first_name="Asha", last_name="Rao",
        agent_type=AgentType.INDIVIDUAL, office_code="MUM01", region=Region.WEST,
        email="asha@example.com", phone="9876543210", pan=pan(n), aadhaar=aadhaar(n),
        bank_account=None, date_of_joining=date(2024, 1, 15), manager_id=manager_id,
        provenance=BY,
    )


def license_(number: str = "LIC-0001", expires_on: date | None = None) -> License:
    """A LIFE license issued a year before `TODAY`."""
    return License(number, LicenseType.LIFE, TODAY - timedelta(days=365),
                   expires_on or TODAY + timedelta(days=365))


def active_agent(n: int = 1) -> Agent:
    """An approved agent holding one license."""
    agent = new_agent(n)
    agent.add_license(license_(f"LIC-{n:04d}"), BY)
    agent.approve(TODAY, OTHER)
    return agent
