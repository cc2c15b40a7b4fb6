"""Bearer JWTs: who the caller is (the actor on every event) and which role they hold."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
from fastapi import Depends, Request

ISSUER = "roster"


class Role(StrEnum):
    """What a caller may do."""

    CLERK = "clerk"
    APPROVER = "approver"
    HR_SYSTEM = "hr_system"
    AUDITOR = "auditor"
    OPERATOR = "operator"
    VIEWER = "viewer"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    subject: str
    role: Role


class NotAuthenticated(Exception):
    """The request carries no valid bearer token."""


class NotAllowed(Exception):
    """The caller's role does not allow this request."""


def issue_token(secret: str, subject: str, role: Role, ttl_seconds: int) -> str:
    """A signed token for `subject` in `role`, valid for `ttl_seconds`."""
    now = int(time.time())
    claims = {"sub": subject, "role": role.value, "iss": ISSUER, "iat": now,
              "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


def authenticate(secret: str, authorization: str | None,
                 max_age_seconds: int = 24 * 3600) -> Principal:
    """The principal named by an `Authorization: Bearer` header, or `NotAuthenticated`;
    a token issued more than `max_age_seconds` ago is refused whatever its expiry."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("send an Authorization: Bearer token")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=ISSUER,
                            options={"require": ["sub", "exp", "iss", "iat"]})
        principal = Principal(str(claims["sub"]), Role(str(claims.get("role"))))
    except (jwt.InvalidTokenError, ValueError) as error:
        raise NotAuthenticated(f"the bearer token is not valid: {error}") from None
    if time.time() - float(claims["iat"]) > max_age_seconds:
        raise NotAuthenticated(f"the bearer token was issued more than {max_age_seconds}s "
                               "ago; ask for a new one")
    return principal


def caller(*roles: Role) -> Any:
    """A FastAPI dependency giving the authenticated caller (verified with the app's
    `state.jwt_secret`, no older than its `state.token_max_age`), refused unless it holds
    one of `roles`."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        who = authenticate(request.app.state.jwt_secret, request.headers.get("authorization"),
                           request.app.state.token_max_age)
        if who.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise NotAllowed(f"role {who.role.value} may not do this; needs one of: {names}")
        return who

    return Depends(dependency)
