"""Batches: `POST /v1/agents:batch` and the HR webhook's `batch` delivery answer each item on
its own, as if sent alone and in order, and write nothing of a refused item."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient

from roster.settings import Settings
from tests.api.conftest import Caller, approved
from tests.api.test_hrms_webhook import send
from tests.builders import onboard_body


def batch(clerk: Caller, bodies: list[dict[str, Any]], **headers: str) -> Any:
    answer = clerk.post("/v1/agents:batch", {"agents": bodies}, **headers)
    assert answer.status_code == 207, answer.text
    return answer.json()


def test_each_item_of_a_batch_is_answered_on_its_own_and_a_refused_one_writes_nothing(
    clerk: Caller, viewer: Caller
) -> None:
    held = onboard_body()
    clerk.onboard(**held)
    good = [onboard_body() for _ in range(3)]
    twin = onboard_body(pan=good[0]["pan"])
    bodies = [good[0], onboard_body(pan=held["pan"]), good[1], {"agent_code": "?"}, twin,
              good[2], onboard_body(manager_id="8d3f9a52-0000-4000-8000-000000000000")]
    answer = batch(clerk, bodies)
    statuses = [(r["index"], r["status"]) for r in answer["results"]]
    assert statuses == [(0, 201), (1, 409), (2, 201), (3, 422), (4, 409), (5, 201), (6, 409)]
    assert (answer["accepted"], answer["refused"]) == (3, 4)
    results = answer["results"]
    assert results[1]["problem"]["code"] == "pan_taken"
    assert results[4]["problem"]["code"] == "pan_taken", "the earlier item holds it"
    assert results[6]["problem"]["code"] == "manager_not_found"
    assert {e["field"] for e in results[3]["problem"]["errors"]} >= {"agent_code", "pan"}
    for index, body in ((0, good[0]), (2, good[1]), (5, good[2])):
        agent = viewer.get(f"/v1/agents/{results[index]['agent_id']}/events").json()
        assert agent["events"][0]["payload"]["agent_code"] == body["agent_code"]
        assert results[index]["version"] == len(agent["events"])
    positions = [results[i]["position"] for i in (0, 2, 5)]
    assert positions == sorted(positions), "the items are saved in the order sent"
    again = clerk.post("/v1/agents", onboard_body(agent_code=twin["agent_code"]))
    assert again.status_code == 201, "the refused item claimed nothing"


def test_a_batch_under_one_manager_chains_the_managers_versions(
    clerk: Caller, approver: Caller, viewer: Caller
) -> None:
    _, boss = approved(clerk, approver)
    answer = batch(clerk, [onboard_body(manager_id=boss) for _ in range(40)])
    assert answer["accepted"] == 40
    events = viewer.get(f"/v1/agents/{boss}/events").json()["events"]
    assigned = [e["payload"]["report_id"] for e in events if e["type"] == "ReportAssigned"]
    assert sorted(assigned) == sorted(r["agent_id"] for r in answer["results"])


def test_a_batch_sent_again_with_its_key_answers_each_item_as_before(clerk: Caller) -> None:
    bodies = [onboard_body(), {"agent_code": "?"}, onboard_body()]
    first = batch(clerk, bodies, **{"Idempotency-Key": "morning-import"})
    second = batch(clerk, bodies, **{"Idempotency-Key": "morning-import"})
    assert second == first
    changed = batch(clerk, [bodies[0], bodies[1], onboard_body()],
                    **{"Idempotency-Key": "morning-import"})
    assert [r["status"] for r in changed["results"]] == [201, 422, 422]
    assert changed["results"][0] == first["results"][0]
    assert changed["results"][2]["problem"]["code"] == "idempotency_key_reused"


def test_a_batch_is_bounded_to_500_items_in_a_body_past_the_single_command_bound(
    clerk: Caller, settings: Settings
) -> None:
    too_many = clerk.post("/v1/agents:batch", {"agents": [{}] * 501})
    assert too_many.status_code == 422
    assert clerk.post("/v1/agents:batch", {"agents": []}).status_code == 422
    bodies = [onboard_body() for _ in range(200)]
    assert len(orjson.dumps({"agents": bodies})) > settings.max_body_bytes
    assert batch(clerk, bodies)["accepted"] == 200
    single = clerk.post("/v1/agents", onboard_body(first_name="x" * settings.max_body_bytes))
    assert single.status_code == 413, "other routes keep the smaller bound"


def test_an_hr_batch_delivery_moves_many_once_and_answers_each(
    client: TestClient, settings: Settings, clerk: Caller, approver: Caller, viewer: Caller
) -> None:
    boss_body, boss = approved(clerk, approver)
    bodies = [onboard_body() for _ in range(5)]
    ids = [clerk.onboard(**body) for body in bodies]
    changes: list[dict[str, Any]] = [
        {"agent_code": body["agent_code"], "event": "transferred",
         "data": {"region": "NORTH", "manager_code": boss_body["agent_code"]}}
        for body in bodies]
    changes += [{"agent_code": "AG-999999", "event": "updated", "data": {"phone": "9111111111"}},
                {"agent_code": bodies[0]["agent_code"], "event": "fired"}]
    delivery = {"delivery_id": "region-move-1", "event": "batch", "changes": changes}
    answer = send(client, settings, delivery)
    assert answer.status_code == 207, answer.text
    assert [r["status"] for r in answer.json()["results"]] == [200] * 5 + [404, 422]
    reports = [e["payload"]["report_id"] for e in viewer.get(
        f"/v1/agents/{boss}/events").json()["events"] if e["type"] == "ReportAssigned"]
    assert reports == ids
    last = viewer.get(f"/v1/agents/{ids[0]}/events").json()["events"][-1]
    assert last["payload"]["provenance"]["source"] == "hrms"
    replay = send(client, settings, delivery)
    assert replay.status_code == 409, replay.text
