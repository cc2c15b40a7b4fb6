"""Read your own writes: `min_position` waits for the read model, within a bound."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from commands import models as cmd
from commands.service import AgentService
from tests.readapi.agents import APPROVER, onboard
from tests.readapi.conftest import Models


def test_a_read_waits_for_the_position_of_a_write(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str]
) -> None:
    agent = onboard(write)
    models.catch_up()
    position = write.suspend(agent, cmd.Decide(reason="review"), APPROVER).position
    assert client.get(f"/v1/agents/{agent}", headers=viewer).json()["status"] == "ACTIVE"

    later = threading.Timer(0.3, models.catch_up)
    later.start()
    try:
        response = client.get(f"/v1/agents/{agent}", params={"min_position": position},
                              headers=viewer)
    finally:
        later.join()
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "SUSPENDED"
    assert int(response.headers["X-Read-Position"]) >= position


def test_a_position_not_reached_in_time_is_a_503_problem(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str]
) -> None:
    agent = onboard(write)
    models.catch_up()
    position = write.suspend(agent, cmd.Decide(reason="review"), APPROVER).position
    for path in (f"/v1/agents/{agent}/timeline", "/v1/agents", "/v1/dashboard"):
        response = client.get(path, params={"min_position": position}, headers=viewer)
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "position_not_reached"
        assert response.json()["reached"] < position
