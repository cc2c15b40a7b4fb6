"""The HR system's signed webhook: deliveries become commands; forgeries and replays do not."""

from __future__ import annotations

import time
from typing import Any

import orjson
from fastapi.testclient import TestClient

from roster.settings import Settings
from tests.api.conftest import Caller, approved
from tests.api.test_agent_routes import problem
from tests.builders import onboard_body
from writeapi.hrms import signature


def send(client: TestClient, settings: Settings, delivery: dict[str, Any],
         at: float | None = None, secret: str | None = None) -> Any:
    body = orjson.dumps(delivery)
    stamp = str(int(at if at is not None else time.time()))
    sig = signature(secret or settings.hrms_secret.get_secret_value(), stamp, body)
    return client.post("/v1/webhooks/hrms", content=body, headers={
        "content-type": "application/json", "X-HRMS-Timestamp": stamp, "X-HRMS-Signature": sig})


def test_an_hr_update_changes_the_agent_as_actor_hrms(
    client: TestClient, settings: Settings, clerk: Caller, viewer: Caller
) -> None:
    body = onboard_body()
    agent = clerk.onboard(**body)
    answer = send(client, settings, {"delivery_id": "d-1", "event": "updated",
                                     "agent_code": body["agent_code"],
                                     "data": {"phone": "9111111111"}})
    assert answer.status_code == 200, answer.text
    last = viewer.get(f"/v1/agents/{agent}/events").json()["events"][-1]
    assert last["payload"]["provenance"]["source"] == "hrms"
    assert last["payload"]["changes"] == {"phone": "XXXXXX1111"}, "masked"


def test_an_hr_transfer_moves_office_and_manager(
    client: TestClient, settings: Settings, clerk: Caller, approver: Caller, viewer: Caller
) -> None:
    boss_body, boss = approved(clerk, approver)
    body = onboard_body()
    agent = clerk.onboard(**body)
    answer = send(client, settings, {
        "delivery_id": "d-2", "event": "transferred", "agent_code": body["agent_code"],
        "data": {"office_code": "DEL02", "region": "NORTH",
                 "manager_code": boss_body["agent_code"]}})
    assert answer.status_code == 200, answer.text
    *_, updated, moved = viewer.get(f"/v1/agents/{agent}/events").json()["events"]
    assert updated["payload"]["changes"] == {"office_code": "DEL02", "region": "NORTH"}
    assert (moved["type"], moved["payload"]["manager_id"]) == ("ManagerChanged", boss)


def test_an_hr_transfer_that_changes_nothing_is_409(
    client: TestClient, settings: Settings, clerk: Caller
) -> None:
    body = onboard_body()
    clerk.onboard(**body)
    answer = send(client, settings, {"delivery_id": "d-4", "event": "transferred",
                                     "agent_code": body["agent_code"], "data": {}})
    problem(answer, 409, "nothing_to_change")


def test_an_hr_termination_terminates(
    client: TestClient, settings: Settings, clerk: Caller, approver: Caller
) -> None:
    body = onboard_body()
    agent = clerk.onboard(**body)
    approver.post(f"/v1/agents/{agent}/approve")
    answer = send(client, settings, {"delivery_id": "d-3", "event": "terminated",
                                     "agent_code": body["agent_code"],
                                     "data": {"reason_code": "RESIGNATION"}})
    assert answer.status_code == 200, answer.text
    problem(approver.post(f"/v1/agents/{agent}/suspend", {}), 409, "transition_not_allowed")


def test_a_bad_signature_is_refused(client: TestClient, settings: Settings) -> None:
    answer = send(client, settings, {"delivery_id": "d", "event": "updated",
                                     "agent_code": "AG-1", "data": {"phone": "9111111111"}},
                  secret="wrong")
    problem(answer, 401, "bad_signature")
    problem(client.post("/v1/webhooks/hrms", content=b"{}"), 401, "signature_missing")


def test_a_stale_delivery_is_refused(client: TestClient, settings: Settings) -> None:
    answer = send(client, settings, {"delivery_id": "d", "event": "updated",
                                     "agent_code": "AG-1", "data": {"phone": "9111111111"}},
                  at=time.time() - 301)
    problem(answer, 401, "stale_delivery")


def test_a_replayed_delivery_is_refused(
    client: TestClient, settings: Settings, clerk: Caller
) -> None:
    body = onboard_body()
    clerk.onboard(**body)
    delivery = {"delivery_id": "d-9", "event": "updated", "agent_code": body["agent_code"],
                "data": {"phone": "9222222222"}}
    assert send(client, settings, delivery).status_code == 200
    problem(send(client, settings, delivery), 409, "delivery_replayed")


def test_an_unknown_agent_code_is_404_and_a_bad_delivery_422(
    client: TestClient, settings: Settings
) -> None:
    problem(send(client, settings, {"delivery_id": "d", "event": "updated",
                                    "agent_code": "AG-NOPE", "data": {"phone": "9111111111"}}),
            404, "agent_not_found")
    problem(send(client, settings, {"delivery_id": "d", "event": "promoted",
                                    "agent_code": "AG-1", "data": {}}), 422, "invalid_request")
