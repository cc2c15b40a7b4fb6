"""The write API killed (SIGKILL) while group commits and batches are under way: every command
it acknowledged is in the log, and every command in the log is whole (its agent, licenses and
claims together; a batch's accepted items all or none)."""

from __future__ import annotations

import random
import signal
import threading
import time
from functools import partial
from typing import Any

import httpx
import pytest

from commands.service import AgentService
from commands.unit import Unit
from roster.settings import Settings
from tests.builders import onboard_body
from tests.pipeline.conftest import Roster, answers, free_port
from tests.pipeline.workload import wait_for
from webkit.auth import Role, issue_token

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

KILLS = 3
CLIENTS = 12
BATCH = 20


class Load:
    """Clients onboarding one agent at a time, and now and then a batch, until the server
    dies; what was acknowledged and which batches were sent."""

    def __init__(self, port: int, token: str) -> None:
        self._url = f"http://127.0.0.1:{port}"
        self._headers = {"Authorization": f"Bearer {token}"}
        self.acknowledged: dict[str, str] = {}
        self.batches: list[list[str]] = []
        self._lock = threading.Lock()

    def _client(self, seed: int) -> None:
        chance = random.Random(seed)
        with httpx.Client(base_url=self._url, headers=self._headers, timeout=30) as http:
            while True:
                try:
                    self._send(http, chance)
                except httpx.TransportError:
                    return

    def _send(self, http: httpx.Client, chance: random.Random) -> None:
        if chance.random() < 0.25:
            bodies = [onboard_body() for _ in range(BATCH)]
            with self._lock:
                self.batches.append([b["agent_code"] for b in bodies])
            answer = http.post("/v1/agents:batch", json={"agents": bodies})
            assert answer.status_code == 207, answer.text
            results: list[dict[str, Any]] = answer.json()["results"]
            assert all(r["status"] == 201 for r in results), results
            acknowledged = {body["agent_code"]: result["agent_id"]
                            for body, result in zip(bodies, results, strict=True)}
        else:
            body = onboard_body()
            answer = http.post("/v1/agents", json=body)
            assert answer.status_code == 201, answer.text
            acknowledged = {body["agent_code"]: answer.json()["agent_id"]}
        with self._lock:
            self.acknowledged |= acknowledged

    def until_killed(self, victim: Any, seconds: float, seed: int) -> None:
        """Load the server, SIGKILL it after `seconds`, and wait for the clients to stop."""
        clients = [threading.Thread(target=self._client, args=(seed * 100 + n,))
                   for n in range(CLIENTS)]
        for client in clients:
            client.start()
        time.sleep(seconds)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        for client in clients:
            client.join()


def _agents_in_log(service: AgentService) -> dict[str, str]:
    """Agent code -> id of every agent the log holds, each checked whole: its code, PAN,
    Aadhaar and license numbers claimed by it."""
    onboarded = service.recorder.select_notifications(
        1, 1_000_000, topics=["domain.agent:Agent.Onboarded"])
    found: dict[str, str] = {}
    for notification in onboarded:
        agent = service.agent(notification.originator_id)  # type: ignore[arg-type]
        unit = Unit(service.repository, service.index_key, None)
        claims = [("agent_code", agent.agent_code), ("pan", agent.pan),
                  ("aadhaar", agent.aadhaar),
                  *(("license_number", number) for number in agent.licenses)]
        assert all(unit.owner(kind, value) == agent.id for kind, value in claims), agent.id
        assert agent.licenses, "the onboarding's license came with it"
        found[agent.agent_code] = str(agent.id)
    return found


def test_the_write_api_killed_mid_commit_leaves_every_command_whole(
    pipeline_settings: Settings, pipeline_service: AgentService, roster: Roster
) -> None:
    chance = random.Random(19)
    port = free_port()
    token = issue_token(pipeline_settings.jwt_secret.get_secret_value(), "clerk", Role.CLERK,
                        600)
    load = Load(port, token)
    ready = partial(answers, f"http://127.0.0.1:{port}/health/ready")
    for kill in range(KILLS):
        api = roster.start("writeapi", "--port", str(port), "--workers", "1")
        assert wait_for(ready, timeout=30), "the write API started"
        load.until_killed(api, chance.uniform(1.0, 2.5), kill)
    in_log = _agents_in_log(pipeline_service)
    assert len(load.acknowledged) > 50, "the load ran"
    assert {c: in_log.get(c) for c in load.acknowledged} == load.acknowledged, \
        "every acknowledged onboarding is in the log"
    for codes in load.batches:
        assert sum(c in in_log for c in codes) in (0, len(codes)), "a batch is all or none"
