"""A write API over a real store, and a caller that signs in with a role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from commands.service import AgentService
from roster import wiring
from roster.settings import Settings
from tests.builders import onboard_body
from webkit.auth import Role, issue_token


class Caller:
    """Sends requests to the write API as one user in one role."""

    def __init__(self, client: TestClient, settings: Settings, subject: str, role: Role) -> None:
        token = issue_token(settings.jwt_secret.get_secret_value(), subject, role, 600)
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, path: str, json: Any = None, **headers: str) -> Any:
        return self.client.post(path, json=json, headers=self.headers | headers)

    def patch(self, path: str, json: Any, **headers: str) -> Any:
        return self.client.patch(path, json=json, headers=self.headers | headers)

    def put(self, path: str, json: Any, **headers: str) -> Any:
        return self.client.put(path, json=json, headers=self.headers | headers)

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.headers)

    def onboard(self, **overrides: Any) -> str:
        """Onboard an agent and return its id."""
        answer = self.post("/v1/agents", onboard_body(**overrides))
        assert answer.status_code == 201, answer.text
        agent_id: str = answer.json()["agent_id"]
        return agent_id


def approved(clerk: Caller, approver: Caller) -> tuple[dict[str, Any], str]:
    """An agent onboarded and approved (one who may manage others): its body and id."""
    body = onboard_body()
    agent = clerk.onboard(**body)
    approver.post(f"/v1/agents/{agent}/approve")
    return body, agent


@pytest.fixture
def client(settings: Settings, service: AgentService) -> Iterator[TestClient]:
    with TestClient(wiring.write_api(settings, service)) as test_client:
        yield test_client


def _role_fixture(subject: str, role: Role) -> Any:
    @pytest.fixture
    def caller(client: TestClient, settings: Settings) -> Caller:
        return Caller(client, settings, subject, role)

    return caller


clerk = _role_fixture("clerk-ann", Role.CLERK)
approver = _role_fixture("approver-ben", Role.APPROVER)
approver2 = _role_fixture("approver-cat", Role.APPROVER)
auditor = _role_fixture("auditor-dan", Role.AUDITOR)
viewer = _role_fixture("viewer-eve", Role.VIEWER)
