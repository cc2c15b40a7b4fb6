"""The hierarchy read model: chains, reports and subtrees follow moves of whole subtrees."""

from __future__ import annotations

from uuid import UUID

from fastapi.testclient import TestClient

from commands.service import AgentService
from tests.readapi.agents import move, onboard
from tests.readapi.conftest import Models


def chain(client: TestClient, headers: dict[str, str], agent: UUID) -> list[str]:
    """The ids of the agent's managers, root first, as the read API shows them."""
    response = client.get(f"/v1/agents/{agent}/hierarchy", headers=headers)
    assert response.status_code == 200, response.text
    return [c["agent_id"] for c in response.json()["chain"]]


def test_moving_a_subtree_six_deep_re_parents_every_level_below(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str]
) -> None:
    left, right = onboard(write), onboard(write)
    line = [onboard(write, left)]
    for _ in range(5):
        line.append(onboard(write, line[-1]))
    models.catch_up()
    assert chain(client, viewer, line[-1]) == [str(a) for a in [left, *line[:-1]]]

    move(write, line[0], right)
    models.catch_up()

    for depth, agent in enumerate(line):
        assert chain(client, viewer, agent) == [str(a) for a in [right, *line[:depth]]]
        profile = client.get(f"/v1/agents/{agent}", headers=viewer).json()
        assert [c["agent_id"] for c in profile["manager_chain"]] == [
            str(a) for a in [right, *line[:depth]]]
    sizes = {str(a): client.get(f"/v1/agents/{a}/hierarchy", headers=viewer).json()[
        "subtree_size"] for a in (left, right)}
    assert sizes == {str(left): 0, str(right): 6}

    tree = client.get(f"/v1/agents/{right}/subtree", params={"max_depth": 3},
                      headers=viewer).json()
    levels = []
    node = tree
    while node["reports"]:
        (node,) = node["reports"]
        levels.append(node["agent_id"])
    assert levels == [str(a) for a in line[:3]]


def test_an_agent_moved_to_the_top_has_an_empty_chain(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str]
) -> None:
    boss = onboard(write)
    agent = onboard(write, boss)
    report = onboard(write, agent)
    move(write, agent, None)
    models.catch_up()
    assert chain(client, viewer, agent) == []
    assert chain(client, viewer, report) == [str(agent)]
    assert client.get(f"/v1/agents/{boss}/hierarchy", headers=viewer).json()[
        "direct_reports"] == []
