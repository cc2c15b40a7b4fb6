"""Search pages are stable: walking them while agents are added repeats none and skips none."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from commands import models as cmd
from commands.service import AgentService
from tests.builders import onboard_body
from tests.readapi.agents import CLERK
from tests.readapi.conftest import Models


@pytest.mark.parametrize("sort", ["agent_code", "name", "-onboarded_at"])
def test_walking_pages_while_agents_are_added_repeats_none_and_skips_none(
    sort: str, write: AgentService, models: Models, client: TestClient, viewer: dict[str, str]
) -> None:
    for n in range(60):
        write.onboard(cmd.OnboardAgent(**onboard_body(last_name=f"Iyer{n % 7}")), CLERK)
    models.catch_up()
    at_start = {a["agent_id"] for a in client.get(
        "/v1/agents", params={"limit": 200}, headers=viewer).json()["items"]}

    stop = threading.Event()

    def add_agents() -> None:
        while not stop.is_set():
            write.onboard(cmd.OnboardAgent(**onboard_body(last_name="Iyer3")), CLERK)
            models.catch_up()

    adder = threading.Thread(target=add_agents)
    adder.start()
    try:
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 7, "sort": sort, **({"cursor": cursor} if cursor else {})}
            body = client.get("/v1/agents", params=params, headers=viewer).json()
            seen += [a["agent_id"] for a in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
    finally:
        stop.set()
        adder.join()
    assert len(seen) == len(set(seen)), "no agent twice"
    assert at_start <= set(seen), "every agent there at the start"
