"""Tokens issued too long ago are refused whatever their expiry, tokens without an issue time
are refused, and `roster token` will not issue one that would outlive the maximum age."""

from __future__ import annotations

import time

import jwt
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from roster.cli import cli
from roster.settings import Settings
from webkit.auth import ISSUER

NOBODY = "/v1/agents/00000000-0000-0000-0000-000000000001/events"


def _signed(settings: Settings, **claims: object) -> dict[str, str]:
    token = jwt.encode({"sub": "old-timer", "role": "clerk", "iss": ISSUER, **claims},
                       settings.jwt_secret.get_secret_value(), algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def test_a_token_older_than_the_maximum_age_is_refused(
        settings: Settings, client: TestClient) -> None:
    now = int(time.time())
    year = now + 365 * 24 * 3600
    fresh = _signed(settings, iat=now, exp=year)
    stale = _signed(settings, iat=now - settings.jwt_max_age_seconds - 60, exp=year)
    undated = _signed(settings, exp=year)
    assert client.get(NOBODY,
                      headers=fresh).status_code == 404
    for headers in (stale, undated):
        answer = client.get(NOBODY, headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] == "not_authenticated"
    assert "issued more than" in client.get(
        NOBODY, headers=stale).json()["detail"]


def test_roster_token_will_not_outlive_the_maximum_age() -> None:
    runner = CliRunner()
    refused = runner.invoke(cli, ["token", "--sub", "script", "--role", "viewer",
                                  "--ttl", str(Settings().jwt_max_age_seconds + 1)])
    assert refused.exit_code == 2
    assert "ROSTER_JWT_MAX_AGE_SECONDS" in refused.output
    issued = runner.invoke(cli, ["token", "--sub", "script", "--role", "viewer", "--ttl", "60"])
    assert issued.exit_code == 0
    assert issued.output.count(".") == 2
