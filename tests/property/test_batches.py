"""A batch is its commands run one after another: random onboardings (clashing values, a
manager or none) answered and stored the same whether sent as one batch or one by one."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from commands import models
from commands.errors import DomainError
from commands.service import AgentService, CommandResult, Request
from roster.settings import Store
from tests.builders import aadhaar, license_body, onboard_body, pan
from tests.conftest import make_settings, service_on

CLERK = Request.by("clerk", "batch")
APPROVER = Request.by("approver", "batch")
HELD = 1
"""The number of the values an agent onboarded before the batch holds."""

# an item: numbers of its agent code, PAN, Aadhaar and license (small, so they clash), and
# which manager it names (0: none, 1 or 2: an active one, 3: one that does not exist)
ITEMS = st.lists(st.tuples(*[st.integers(1, 6)] * 4, st.integers(0, 3)), max_size=12)
NOWHERE = UUID(int=7)


@contextmanager
def store_with_managers() -> Iterator[tuple[AgentService, list[UUID]]]:
    """A fresh embedded store with an agent holding the values numbered `HELD` and two
    active managers."""
    with tempfile.TemporaryDirectory() as folder, service_on(make_settings(
            store=Store.SQLITE, data_dir=Path(folder))) as service:
        service.onboard(models.OnboardAgent(**body((HELD, HELD, HELD, HELD, 0), [])), CLERK)
        managers = []
        for n in (90, 91):
            made = service.onboard(models.OnboardAgent(**body((n, n, n, n, 0), [])), CLERK)
            service.approve(made.agent_id, APPROVER)
            managers.append(made.agent_id)
        yield service, managers


def body(item: tuple[int, int, int, int, int], managers: list[UUID]) -> dict[str, Any]:
    code, pan_no, aadhaar_no, license_no, manager = item
    chosen = None if manager == 0 else [*managers, NOWHERE][manager - 1]
    return onboard_body(agent_code=f"AG-{code:06d}", pan=pan(pan_no), aadhaar=aadhaar(aadhaar_no),
                        licenses=[license_body(license_no)],
                        manager_id=None if chosen is None else str(chosen))


def outcome(answer: CommandResult | DomainError) -> str:
    return "accepted" if isinstance(answer, CommandResult) else answer.code


def stored(service: AgentService, managers: list[UUID]) -> tuple[list[str], list[list[str]]]:
    """The agent codes onboarded, and each manager's reports by code."""
    codes = sorted(service.agent(UUID(str(n.originator_id))).agent_code
                   for n in service.recorder.select_notifications(
                       1, 1000, topics=["domain.agent:Agent.Onboarded"]))
    reports = [sorted(service.agent(r).agent_code for r in service.agent(m).reports)
               for m in managers]
    return codes, reports


@settings(max_examples=25, deadline=None)
@given(ITEMS)
def test_a_batch_answers_and_stores_what_its_commands_one_by_one_do(
    items: list[tuple[int, int, int, int, int]],
) -> None:
    with store_with_managers() as (one_by_one, managers):
        singles = []
        for item in items:
            try:
                singles.append(outcome(one_by_one.onboard(
                    models.OnboardAgent(**body(item, managers)), CLERK)))
            except DomainError as error:
                singles.append(error.code)
        expected = stored(one_by_one, managers)
    with store_with_managers() as (batched, managers):
        answers = batched.run_batch([
            (CLERK, batched.onboarding(models.OnboardAgent(**body(item, managers)),
                                       CLERK.provenance)) for item in items])
        assert [outcome(a) for a in answers] == singles
        assert stored(batched, managers) == expected
