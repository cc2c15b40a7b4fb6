"""Every forged or stale token is refused: no algorithm, a wrong key, an unknown or missing kid,
expired, issued too long ago, the wrong audience or issuer, a missing claim, a role edited after
signing; a token verified once (and known by its bytes since) is refused once it expires or
ages. A rotated secret keeps tokens of the previous one valid; `roster token` will not issue
one that outlives the maximum age."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from commands.service import AgentService
from roster import wiring
from roster.cli import cli
from roster.settings import Settings
from webkit.auth import (
    AUDIENCE,
    ISSUER,
    NotAuthenticated,
    Role,
    Verifier,
    issue_signed_token,
    issue_token,
    key_id,
)

NOBODY = "/v1/agents/00000000-0000-0000-0000-000000000001/events"


def _token(secret: str, headers: dict[str, Any] | None = None, **changes: Any) -> str:
    now = int(time.time())
    claims = {"sub": "mallory", "role": "clerk", "iss": ISSUER, "aud": AUDIENCE, "iat": now,
              "exp": now + 600, **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, secret, algorithm="HS256",
                      headers={"kid": key_id(secret), **(headers or {})})


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _role_edited(token: str) -> str:
    header, claims, signature = token.split(".")
    padded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    edited = base64.urlsafe_b64encode(json.dumps({**padded, "role": "approver"}).encode())
    return f"{header}.{edited.rstrip(b'=').decode()}.{signature}"


@pytest.fixture
def rotated(settings: Settings, service: AgentService) -> Iterator[tuple[TestClient, str]]:
    """The write API after a rotation: a new secret signs, the fixture's is a previous one."""
    new = SecretStr("a-new-secret-of-at-least-thirty-two-characters")
    after = settings.model_copy(update={"jwt_secret": new,
                                        "jwt_previous_secrets": (settings.jwt_secret,)})
    with TestClient(wiring.write_api(after, service)) as client:
        yield client, new.get_secret_value()


def test_forged_and_stale_tokens_are_refused(settings: Settings,
                                             rotated: tuple[TestClient, str]) -> None:
    client, secret = rotated
    now = int(time.time())
    good = _token(secret)
    forged = {
        "no algorithm": _unsigned({"sub": "mallory", "role": "auditor", "iss": ISSUER,
                                   "aud": AUDIENCE, "iat": now, "exp": now + 600}),
        "wrong key": jwt.encode(jwt.decode(good, options={"verify_signature": False}),
                                "not-our-secret-but-32-characters-long", algorithm="HS256",
                                headers={"kid": key_id(secret)}),
        "unknown kid": _token(secret, headers={"kid": "0123456789abcdef"}),
        "no kid": jwt.encode(jwt.decode(good, options={"verify_signature": False}), secret,
                             algorithm="HS256"),
        "expired": _token(secret, iat=now - 700, exp=now - 100),
        "too old": _token(secret, iat=now - settings.jwt_max_age_seconds - 120,
                          exp=now + 3600),
        "issued in the future": _token(secret, iat=now + 3600, exp=now + 7200),
        "wrong audience": _token(secret, aud="someone-else"),
        "wrong issuer": _token(secret, iss="someone-else"),
        "no role": _token(secret, role=None),
        "unknown role": _token(secret, role="root"),
        "no subject": _token(secret, sub=None),
        "no expiry": _token(secret, exp=None),
        "no issue time": _token(secret, iat=None),
        "role edited": _role_edited(good),
    }
    assert client.get(NOBODY, headers={"Authorization": f"Bearer {good}"}).status_code == 404
    for name, token in forged.items():
        answer = client.get(NOBODY, headers={"Authorization": f"Bearer {token}"})
        assert (answer.status_code, answer.json()["code"]) == (401, "not_authenticated"), name


def test_a_token_verified_once_is_refused_once_it_expires_or_ages() -> None:
    secret = "a-secret-of-at-least-thirty-two-characters!"
    verifier = Verifier.of(secret, max_age_seconds=3600, leeway_seconds=0)
    now = int(time.time())
    expiring = _token(secret, exp=now + 1)
    aging = _token(secret, iat=now - 3599, exp=now + 600)
    for token in (expiring, aging):
        assert verifier.principal(f"Bearer {token}").subject == "mallory"
    time.sleep(2.1)
    for token in (expiring, aging):
        with pytest.raises(NotAuthenticated):
            verifier.principal(f"Bearer {token}")
    with pytest.raises(NotAuthenticated):
        verifier.principal(f"Bearer {_role_edited(_token(secret))}")


def test_a_rotated_secret_keeps_the_previous_ones_tokens_valid(
        settings: Settings, rotated: tuple[TestClient, str]) -> None:
    client, secret = rotated
    before = issue_token(settings.jwt_secret.get_secret_value(), "ann", Role.CLERK, 600)
    after = issue_token(secret, "ann", Role.CLERK, 600)
    for token in (before, after):
        assert client.get(NOBODY, headers={"Authorization": f"Bearer {token}"}
                          ).status_code == 404


def test_roster_token_will_not_outlive_the_maximum_age() -> None:
    runner = CliRunner()
    refused = runner.invoke(cli, ["token", "--sub", "script", "--role", "viewer",
                                  "--ttl", str(Settings().jwt_max_age_seconds + 1)])
    assert refused.exit_code == 2
    assert "ROSTER_JWT_MAX_AGE_SECONDS" in refused.output
    issued = runner.invoke(cli, ["token", "--sub", "script", "--role", "viewer", "--ttl", "60"])
    assert issued.exit_code == 0
    claims = jwt.decode(issued.output.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60


@pytest.fixture
def jwks_client(settings: Settings, service: AgentService,
                tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """The write API verifying with the public keys `roster keys jwks` published (EdDSA)."""
    made = CliRunner().invoke(cli, ["keys", "jwks", "--out", str(tmp_path / "keys")])
    assert made.exit_code == 0, made.output
    asymmetric = settings.model_copy(update={"jwks_file": tmp_path / "keys" / "jwks.json"})
    with TestClient(wiring.write_api(asymmetric, service)) as client:
        yield client, tmp_path / "keys"


def _status(client: TestClient, token: str) -> int:
    answer = client.get(NOBODY, headers={"Authorization": f"Bearer {token}"})
    return int(answer.status_code)


def test_with_a_jwks_only_its_keys_sign_and_a_new_key_rotates_in(
    settings: Settings, service: AgentService, jwks_client: tuple[TestClient, Path],
    tmp_path: Path
) -> None:
    client, keys = jwks_client
    assert (keys / "signing-key.json").stat().st_mode & 0o777 == 0o600, "the owner's alone"
    private = (keys / "signing-key.json").read_text()
    kid = json.loads(private)["kid"]
    public = json.loads((keys / "jwks.json").read_text())["keys"][0]["x"]
    raw = base64.urlsafe_b64decode(public + "=" * (-len(public) % 4))
    first = issue_signed_token(private, "ann", Role.CLERK, 600)
    assert _status(client, first) == 404
    claims = jwt.decode(first, options={"verify_signature": False})
    other = CliRunner().invoke(cli, ["keys", "jwks", "--out", str(tmp_path / "other")])
    assert other.exit_code == 0
    stranger = json.loads((tmp_path / "other" / "signing-key.json").read_text())
    forged = {
        "shared secret": issue_token(settings.jwt_secret.get_secret_value(), "m", Role.CLERK, 60),
        "HS256 keyed with the public key": jwt.encode(claims, raw, algorithm="HS256",
                                                      headers={"kid": kid}),
        "another key under our kid": issue_signed_token(
            json.dumps({**stranger, "kid": kid}), "m", Role.CLERK, 60),
    }
    for name, token in forged.items():
        assert _status(client, token) == 401, name
    rotated = CliRunner().invoke(cli, ["keys", "jwks", "--out", str(keys), "--alg", "RS256"])
    assert rotated.exit_code == 0, rotated.output
    assert "2 keys" in rotated.output
    second = issue_signed_token((keys / "signing-key.json").read_text(), "ann", Role.CLERK, 600)
    with TestClient(wiring.write_api(settings.model_copy(update={
            "jwks_file": keys / "jwks.json"}), service)) as after:
        assert [_status(after, t) for t in (first, second)] == [404, 404]
