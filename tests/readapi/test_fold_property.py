"""Property: random command sequences, delivered as Kafka would (each agent's events in order,
agents interleaved at random across partitions and batches), leave every read model equal to a
fold of the same events in log order computed here."""

from __future__ import annotations

import random
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands import models as cmd
from commands.errors import DomainError
from commands.service import AgentService
from consumers.applier import Delivery
from consumers.log import EventLog
from projections.envelope import Envelope
from roster import pipeline
from roster.settings import Settings
from tests.builders import license_body, onboard_body
from tests.folds import assert_equals_fold
from tests.readapi.agents import APPROVER, CLERK

AGENTS = 6
Op = tuple[str, int, int]
ops = st.lists(st.tuples(st.sampled_from(["onboard", "approve", "suspend", "resume", "update",
                                          "license", "move", "top", "terminate"]),
                         st.integers(0, AGENTS - 1), st.integers(0, AGENTS - 1)),
               min_size=5, max_size=40)


def _run(write: AgentService, steps: list[Op]) -> list[UUID]:
    agents: list[UUID] = []
    for op, a, b in steps:
        try:
            if op == "onboard" or not agents:
                manager = agents[b % len(agents)] if agents and op == "move" else None
                body = onboard_body(manager_id=str(manager) if manager else None)
                agents.append(write.onboard(cmd.OnboardAgent(**body), CLERK).agent_id)
                continue
            x, y = agents[a % len(agents)], agents[b % len(agents)]
            if op == "approve":
                write.approve(x, APPROVER)
            elif op == "suspend":
                write.suspend(x, cmd.Decide(reason="r"), APPROVER)
            elif op == "resume":
                write.resume(x, cmd.Decide(), APPROVER)
            elif op == "update":
                write.update(x, cmd.UpdateAgent(office_code=f"OF{a}{b}"), CLERK)
            elif op == "license":
                write.add_license(x, cmd.AddLicense(**license_body()), CLERK)
            elif op in {"move", "top"}:
                write.change_manager(x, cmd.ChangeManager(manager_id=y if op == "move"
                                                          else None), CLERK)
            elif op == "terminate":
                write.terminate(x, cmd.TerminateAgent(reason_code="RESIGNATION",
                                                      reassign_reports_to=None), APPROVER)
        except DomainError:
            continue
    return agents


def _deliveries(envelopes: list[Envelope], chance: random.Random) -> list[list[Delivery]]:
    """Batches as three partitions would deliver them: per partition in order, interleaved."""
    partitions: dict[int, list[Delivery]] = {0: [], 1: [], 2: []}
    for e in envelopes:
        p = e.agent_id.int % 3
        partitions[p].append(Delivery.of(p, len(partitions[p]), e))
    batches: list[list[Delivery]] = []
    while any(partitions.values()):
        p = chance.choice([k for k, v in partitions.items() if v])
        take = chance.randint(1, 5)
        batches.append(partitions[p][:take])
        partitions[p] = partitions[p][take:]
    return batches


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops, seed=st.integers(0, 2**16))
def test_every_read_model_equals_a_fold_of_the_log(
    steps: list[Op], seed: int, write: AgentService, read_settings: Settings
) -> None:
    start = EventLog(write).head()
    agents = set(_run(write, steps))
    envelopes = [e for e in EventLog(write).read(start, 10_000).envelopes
                 if e.agent_id in agents]
    source = f"prop-{uuid4().hex[:8]}"
    store = pipeline.generations(read_settings)
    appliers = [pipeline.applier(read_settings, store, p, source)
                for p in pipeline.projections()]
    for batch in _deliveries(envelopes, random.Random(seed)):
        for applier in appliers:
            applier.apply(batch)
    for applier in appliers:
        applier.close()

    database = pipeline.serving(read_settings)
    assert_equals_fold(database, envelopes, set(agents))
    database.close()
