"""`roster demo-data`: a realistic population of agents, written through the real commands.

Names, offices in each region, an eight-level management hierarchy, one or two licenses each
expiring at dates spread over the next three years (some already lapsed), and a mix of
statuses among the agents who manage no one. Every agent is onboarded, licensed, approved,
suspended or terminated by the application service, exactly as the write API would do it.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TypeVar
from uuid import UUID, uuid4

from commands import models
from commands.service import AgentService, Request
from domain import verhoeff
from domain.values import AgentType, LicenseType, Region, TerminationReason

T = TypeVar("T")

LEVELS = 8
"""Depth of the management hierarchy: one head office level down to the field agents."""

FIRST = ["Asha", "Ravi", "Meera", "Arjun", "Kavya", "Rohan", "Isha", "Vikram", "Nisha", "Aditya",
         "Pooja", "Sanjay", "Divya", "Karan", "Anita", "Rahul", "Sneha", "Manoj", "Lata", "Deepak",
         "Farah", "Imran", "Gurpreet", "Harjit", "Tenzin", "Lalrin", "Bipasha", "Suresh"]
LAST = ["Kulkarni", "Sharma", "Iyer", "Reddy", "Patel", "Nair", "Menon", "Joshi", "Gupta",
        "Banerjee", "Chopra", "Desai", "Pillai", "Rao", "Bhat", "Mehta", "Shetty", "Kapoor",
        "Malhotra", "Verma", "Saxena", "Agarwal", "Chatterjee", "Mishra", "Pandey", "Naidu",
        "Khan", "Singh", "Bora", "Das"]
OFFICES = {
    Region.NORTH: ["DEL01", "DEL02", "JAI01", "LKO01", "CHD01"],
    Region.SOUTH: ["BLR01", "BLR02", "CHN01", "HYD01", "KOC01"],
    Region.EAST: ["KOL01", "KOL02", "BBS01", "PAT01"],
    Region.WEST: ["MUM01", "MUM02", "PUN01", "AHD01", "GOA01"],
    Region.CENTRAL: ["BPL01", "NAG01", "IDR01"],
    Region.NORTHEAST: ["GUW01", "SHL01", "IMP01"],
}
AGENT_TYPES = {AgentType.INDIVIDUAL: 70, AgentType.POSP: 12, AgentType.CORPORATE: 8,
               AgentType.BROKER: 6, AgentType.BANCASSURANCE: 4}
"""How common each kind of contract is, in percent."""


class Fate(StrEnum):
    """Where a demo agent's story ends: the status it is left in."""

    ACTIVE = "ACTIVE"
    PENDING = "PENDING_APPROVAL"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"


FIELD_FATES = {Fate.ACTIVE: 77, Fate.PENDING: 10, Fate.SUSPENDED: 8, Fate.TERMINATED: 5}
"""How the agents who manage no one end up, in percent; every manager is active."""


def pan(n: int) -> str:
    """A valid PAN derived from `n`, distinct for every `n` below 26**5."""
    letters = string.ascii_uppercase
    prefix = "".join(letters[(n // 26**i) % 26] for i in range(5))
    return f"{prefix}{n % 10000:04d}{letters[n % 26]}"


def aadhaar(n: int) -> str:
    """A valid Aadhaar number (Verhoeff check digit) derived from `n`."""
    body = f"{2 + n % 8}{n:010d}"[-11:]
    body = str(2 + n % 8) + body[1:]
    return body + verhoeff.check_digit(body)


def level_sizes(agents: int, levels: int = LEVELS) -> list[int]:
    """How many agents each level holds: a few at the top, widening by a constant factor,
    the rest in the field; every level has at least one agent when `agents` >= `levels`."""
    top = max(1, agents // 2000)
    low, high = 1.0, float(agents)
    for _ in range(60):
        factor = (low + high) / 2
        if sum(round(top * factor**k) for k in range(levels)) > agents:
            high = factor
        else:
            low = factor
    sizes = [max(1, round(top * low**k)) for k in range(levels - 1)]
    return [*sizes, max(0, agents - sum(sizes))]


@dataclass(frozen=True)
class Planned:
    """One demo agent: its onboarding, and where its story ends."""

    onboarding: models.OnboardAgent
    fate: Fate


class Population:
    """Draws demo agents from a seeded random source, numbering them from `first`."""

    def __init__(self, seed: int, first: int, today: date) -> None:
        self._chance = random.Random(seed)  # noqa: S311 (demo data, not secrets)
        self._next = first
        self._today = today

    def agent(self, manager: UUID | None, field: bool) -> Planned:
        """The next agent, under `manager`; `field` when it will manage no one."""
        chance, n = self._chance, self._next
        self._next += 1
        region = chance.choice(list(OFFICES))
        first, last = chance.choice(FIRST), chance.choice(LAST)
        joined = self._today - timedelta(days=chance.randint(30, 12 * 365))
        onboarding = models.OnboardAgent(
            agent_code=f"AG-{n:07d}", first_name=first, last_name=last,
            agent_type=_weighted(chance, AGENT_TYPES), office_code=chance.choice(OFFICES[region]),
            region=region, email=f"{first}.{last}.{n}@example.com".lower(),
            phone=f"9{chance.randint(100_000_000, 999_999_999)}", pan=pan(n),
            aadhaar=aadhaar(n), date_of_joining=joined, manager_id=manager,
            licenses=list(self._licenses(n, joined)),
        )
        fate = _weighted(self._chance, FIELD_FATES) if field else Fate.ACTIVE
        return Planned(onboarding, fate)

    def _licenses(self, n: int, joined: date) -> Iterator[models.AddLicense]:
        """One license in force (expiring within three years), and sometimes a second of
        another line that may have lapsed already."""
        chance = self._chance
        kinds = chance.sample(list(LicenseType), 2)
        expiries = [self._today + timedelta(days=chance.randint(1, 3 * 365))]
        if chance.random() < 0.3:
            expiries.append(self._today + timedelta(days=chance.randint(-365, 3 * 365)))
        for k, (kind, expires) in enumerate(zip(kinds, expiries, strict=False)):
            issued = min(joined, expires - timedelta(days=365))
            yield models.AddLicense(number=f"LIC-{n:07d}-{k + 1}", license_type=kind,
                                    issued_on=issued, expires_on=expires)


def fill(service: AgentService, agents: int, seed: int, first: int,
         advance: Callable[[int], object]) -> Counter[Fate]:
    """Write `agents` demo agents through `service`, level by level (a manager is approved
    before anyone reports to it), calling `advance(1)` after each; how many end in each fate."""
    population = Population(seed, first, service.today())
    chance = random.Random(seed + 1)  # noqa: S311 (demo data, not secrets)
    fates: Counter[Fate] = Counter()
    managers: list[UUID] = []
    sizes = level_sizes(agents)
    for level, size in enumerate(sizes):
        field = level == len(sizes) - 1
        placed: list[UUID] = []
        for _ in range(size):
            manager = chance.choice(managers) if managers else None
            planned = population.agent(manager, field)
            placed.append(_write(service, planned))
            fates[planned.fate] += 1
            advance(1)
        managers = placed
    return fates


def _write(service: AgentService, planned: Planned) -> UUID:
    agent = service.onboard(planned.onboarding, _request("demo-clerk")).agent_id
    if planned.fate is Fate.PENDING:
        return agent
    service.approve(agent, _request("demo-approver"))
    if planned.fate is Fate.SUSPENDED:
        service.suspend(agent, models.Decide(reason="compliance review"), _request("demo-approver"))
    elif planned.fate is Fate.TERMINATED:
        service.terminate(agent, models.TerminateAgent(reason_code=TerminationReason.RESIGNATION),
                          _request("demo-approver"))
    return agent


def _request(actor: str) -> Request:
    return Request.by(actor, str(uuid4()), source="job")


def _weighted(chance: random.Random, weights: dict[T, int]) -> T:
    return chance.choices(list(weights), weights=list(weights.values()))[0]
