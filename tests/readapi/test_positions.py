"""Read your own writes: `min_position` waits for the read model, within a bound."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from uuid import UUID

import httpx
from fastapi.testclient import TestClient

from commands import models as cmd
from commands.service import AgentService
from roster.settings import Settings
from roster.wiring import read_api
from tests.readapi.agents import APPROVER, onboard
from tests.readapi.conftest import Models


def _suspended_unseen(write: AgentService, models: Models) -> tuple[UUID, int]:
    """An agent the read models show active, then suspended: the agent and the position of
    the suspension, which the read models have not applied."""
    agent = onboard(write)
    models.catch_up()
    return agent, write.suspend(agent, cmd.Decide(reason="review"), APPROVER).position


def test_a_read_waits_for_the_position_of_a_write(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str]
) -> None:
    agent, position = _suspended_unseen(write, models)
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
    agent, position = _suspended_unseen(write, models)
    for path in (f"/v1/agents/{agent}/timeline", "/v1/agents", "/v1/dashboard"):
        response = client.get(path, params={"min_position": position}, headers=viewer)
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "position_not_reached"
        assert response.json()["reached"] < position


def test_a_position_beyond_the_log_or_a_64_bit_integer_is_refused_at_once(
    write: AgentService, models: Models, client: TestClient, viewer: dict[str, str]
) -> None:
    onboard(write)
    models.catch_up()
    head = write.ready()
    for position, status, code in ((2**63, 422, "invalid_request"),
                                   (9999999999999999999, 422, "invalid_request"),
                                   (head + 1, 422, "position_beyond_log")):
        response = client.get("/v1/agents", params={"min_position": position}, headers=viewer)
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert client.get("/v1/agents", params={"min_position": head + 1},
                      headers=viewer).json()["head"] == head
    assert client.get("/v1/agents", params={"min_position": head},
                      headers=viewer).status_code == 200


def test_past_the_bound_on_waiting_reads_one_is_answered_at_once(
    read_settings: Settings, write: AgentService, models: Models, viewer: dict[str, str]
) -> None:
    _, position = _suspended_unseen(write, models)
    app = read_api(read_settings.model_copy(update={"read_max_waiting": 2}))

    async def three() -> tuple[list[httpx.Response], str]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://read") as http:
            def get() -> Awaitable[httpx.Response]:
                return http.get("/v1/dashboard", params={"min_position": position},
                                headers=viewer)
            try:
                waiting = [asyncio.ensure_future(get()) for _ in range(2)]
                for _ in range(500):
                    if app.state.store.waiting == 2:
                        break
                    await asyncio.sleep(0.01)
                metrics = (await http.get("/metrics")).text
                third = await get()
                return [*(await asyncio.gather(*waiting)), third], metrics
            finally:
                await app.state.store.close()

    (first, second, third), metrics = asyncio.run(three())
    assert "roster_reads_waiting 2.0" in metrics
    assert (third.status_code, third.json()["code"]) == (503, "too_many_waiting")
    assert [(r.status_code, r.json()["code"]) for r in (first, second)] == \
           [(503, "position_not_reached")] * 2
