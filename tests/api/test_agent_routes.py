"""Every command route of the write API, its answer, and each error status it can give."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import Caller
from tests.builders import license_body, onboard_body

PROBLEM = "application/problem+json"


def problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body: dict[str, Any] = answer.json()
    assert body["status"] == status, body
    assert body["code"] == code, body
    return body


def test_onboarding_answers_201_with_id_version_position_and_etag(clerk: Caller) -> None:
    answer = clerk.post("/v1/agents", onboard_body())
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"agent_id", "version", "position"}
    assert answer.headers["etag"] == f'"{body["version"]}"'
    assert answer.headers["location"] == f"/v1/agents/{body['agent_id']}"
    assert body["position"] >= 1


def test_the_whole_lifecycle_through_the_routes(
    clerk: Caller, approver: Caller, approver2: Caller
) -> None:
    boss = clerk.onboard()
    assert approver.post(f"/v1/agents/{boss}/approve").status_code == 200
    agent = clerk.onboard(manager_id=boss)
    steps: list[tuple[Caller, str, str, Any]] = [
        (clerk, "patch", "", {"phone": "9123456789", "region": "NORTH"}),
        (clerk, "post", "/licenses", license_body()),
        (clerk, "post", f"/licenses/{license_body(900001)['number']}/renew", None),
        (approver, "post", "/approve", None),
        (approver, "post", "/suspend", {"reason": "audit"}),
        (approver, "post", "/resume", {}),
        (clerk, "put", "/manager", {"manager_id": None}),
        (clerk, "put", "/manager", {"manager_id": boss}),
        (approver, "post", "/terminate", {"reason_code": "RESIGNATION"}),
        (clerk, "post", "/reinstatement", {"reason_code": "APPEAL_UPHELD"}),
        (approver, "post", "/reinstatement/reject", {"reason": "no"}),
        (approver, "post", "/reinstatement", {"reason_code": "APPEAL_UPHELD"}),
        (approver2, "post", "/reinstatement/approve", None),
    ]
    version = 0
    for caller, method, path, body in steps:
        if path.endswith("/renew"):
            clerk.post(f"/v1/agents/{agent}/licenses", license_body(900001))
            body = {"expires_on": "2040-01-01"}
        answer = getattr(caller, method)(f"/v1/agents/{agent}{path}", body)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.json()["version"] > version
        version = answer.json()["version"]


def test_revoking_a_license(clerk: Caller) -> None:
    lic = license_body()
    agent = clerk.onboard(licenses=[lic])
    answer = clerk.post(f"/v1/agents/{agent}/licenses/{lic['number']}/revoke", {"reason": "x"})
    assert answer.status_code == 200
    problem(clerk.post(f"/v1/agents/{agent}/licenses/{lic['number']}/revoke", {}), 409,
            "license_not_active")


def test_bad_fields_give_422_naming_each_field(clerk: Caller) -> None:
    body = problem(clerk.post("/v1/agents", onboard_body(pan="bad", aadhaar="234123412345")),
                   422, "invalid_request")
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert "pan" in fields
    assert "aadhaar" in fields
    assert "check digit" in fields["aadhaar"]


def test_unknown_fields_and_malformed_json_are_422(clerk: Caller, client: TestClient) -> None:
    problem(clerk.post("/v1/agents", onboard_body(favourite_colour="blue")), 422,
            "invalid_request")
    answer = client.post("/v1/agents", content=b"{not json",
                         headers=clerk.headers | {"content-type": "application/json"})
    problem(answer, 422, "invalid_request")


def test_a_missing_or_bad_token_is_401(client: TestClient) -> None:
    problem(client.post("/v1/agents", json=onboard_body()), 401, "not_authenticated")
    answer = client.post("/v1/agents", json=onboard_body(),
                         headers={"Authorization": "Bearer not-a-token"})
    assert problem(answer, 401, "not_authenticated")
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_role_that_may_not_act_is_403(viewer: Caller, clerk: Caller) -> None:
    problem(viewer.post("/v1/agents", onboard_body()), 403, "forbidden")
    agent = clerk.onboard()
    problem(clerk.post(f"/v1/agents/{agent}/approve"), 403, "forbidden")


def test_an_unknown_agent_is_404(approver: Caller) -> None:
    problem(approver.post("/v1/agents/00000000-0000-0000-0000-000000000000/approve"), 404,
            "agent_not_found")
    problem(approver.post("/v1/agents/not-a-uuid/approve"), 422, "invalid_request")


def test_a_broken_rule_is_409_with_its_code(clerk: Caller, approver: Caller) -> None:
    agent = clerk.onboard(licenses=[])
    problem(approver.post(f"/v1/agents/{agent}/approve"), 409, "license_required")


def test_a_taken_pan_is_409(clerk: Caller) -> None:
    body = onboard_body()
    clerk.onboard(**body)
    again = onboard_body(pan=body["pan"])
    problem(clerk.post("/v1/agents", again), 409, "pan_taken")


def test_a_version_mismatch_is_412_and_says_the_current_version(clerk: Caller) -> None:
    agent = clerk.onboard()
    answer = clerk.patch(f"/v1/agents/{agent}", {"phone": "9000000001"}, **{"If-Match": '"1"'})
    body = problem(answer, 412, "version_mismatch")
    assert body["current_version"] == 2
    assert clerk.patch(f"/v1/agents/{agent}", {"phone": "9000000001"},
                       **{"If-Match": '"2"'}).status_code == 200
    problem(clerk.patch(f"/v1/agents/{agent}", {"phone": "9"}, **{"If-Match": "x"}), 400,
            "bad_if_match")


def test_an_oversized_body_is_413(clerk: Caller, client: TestClient) -> None:
    big = onboard_body(first_name="A" * 70_000)
    problem(clerk.post("/v1/agents", big), 413, "body_too_large")

    def chunks() -> Any:
        for _ in range(100):
            yield b" " * 1024

    answer = client.post("/v1/agents", content=chunks(),
                         headers=clerk.headers | {"content-type": "application/json"})
    problem(answer, 413, "body_too_large")


def test_an_idempotency_key_replays_the_first_answer(clerk: Caller) -> None:
    body = onboard_body()
    first = clerk.post("/v1/agents", body, **{"Idempotency-Key": "abc"})
    again = clerk.post("/v1/agents", body, **{"Idempotency-Key": "abc"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = clerk.post("/v1/agents", onboard_body(), **{"Idempotency-Key": "abc"})
    problem(other, 422, "idempotency_key_reused")


def test_the_events_route_masks_personal_data_for_everyone(
    clerk: Caller, viewer: Caller, auditor: Caller
) -> None:
    body = onboard_body()
    agent = clerk.onboard(**body)
    for caller in (viewer, auditor):
        seen = caller.get(f"/v1/agents/{agent}/events").json()
        onboarded = seen["events"][0]["payload"]
        assert onboarded["pan"] == "XXXXX" + body["pan"][5:9] + "X"
        assert onboarded["email"] == body["email"][0] + "***@" + body["email"].split("@")[1]
        assert onboarded["provenance"]["actor"] == "clerk-ann"
        assert seen["personal_data"] == f"/v1/agents/{agent}/personal-data"


def test_the_request_id_is_echoed_or_made(client: TestClient) -> None:
    assert client.get("/health/live", headers={"X-Request-ID": "r-42"}).headers[
        "x-request-id"] == "r-42"
    assert len(client.get("/health/live").headers["x-request-id"]) == 32


def test_health_and_metrics(clerk: Caller, client: TestClient) -> None:
    clerk.onboard()
    assert client.get("/health/ready").json()["status"] == "ok"
    metrics = client.get("/metrics").text
    assert 'roster_commands_total{command="onboard",outcome="accepted"} 1.0' in metrics
    assert "roster_http_request_seconds_bucket" in metrics
    assert "roster_group_commit_commands_count 1.0" in metrics, "the onboarding's group"
    assert client.get("/docs").status_code == 200
