"""Property: random command sequences, delivered as Kafka would (each agent's events in order,
agents interleaved at random across partitions and batches), leave every read model equal to a
fold of the same events in log order computed here."""

from __future__ import annotations

import random
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.service import AgentService
from consumers.applier import Delivery
from consumers.log import EventLog
from projections.envelope import Envelope
from roster import pipeline
from roster.settings import Settings
from tests.folds import assert_equals_fold
from tests.readapi.agents import Op, commands, run_commands


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
@given(steps=commands, seed=st.integers(0, 2**16))
def test_every_read_model_equals_a_fold_of_the_log(
    steps: list[Op], seed: int, write: AgentService, read_settings: Settings
) -> None:
    start = EventLog(write).head()
    agents = set(run_commands(write, steps))
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
