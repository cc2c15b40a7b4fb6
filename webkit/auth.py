"""Bearer JWTs: who the caller is (the actor on every event) and which role they hold."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import jwt
from cachetools import TTLCache
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


AUDIENCE = "roster-api"
"""The `aud` every token carries and every API requires."""
CLAIMS = ["sub", "role", "iss", "aud", "iat", "exp"]
"""The claims a token must carry."""
VERIFIED_SECONDS = 60
"""How long a token verified once is known by its bytes (its times are still checked on
every use): a client sends the same token with every request, and checking its signature
each time costs a fifth of a cached read."""


@dataclass(frozen=True)
class _Verified:
    """A token whose signature and claims were checked: who it names, and its times."""

    principal: Principal
    issued_at: float
    expires_at: float


def key_id(secret: str) -> str:
    """The `kid` naming `secret` in token headers: a digest, never the secret."""
    return hashlib.sha256(f"roster-kid:{secret}".encode()).hexdigest()[:16]


def _claims(subject: str, role: Role, ttl_seconds: int) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": subject, "role": role.value, "iss": ISSUER, "aud": AUDIENCE, "iat": now,
            "exp": now + ttl_seconds}


def issue_token(secret: str, subject: str, role: Role, ttl_seconds: int) -> str:
    """A token for `subject` in `role`, valid for `ttl_seconds`, signed (HS256) with the
    shared `secret` and naming it by `kid` (the embedded default)."""
    return jwt.encode(_claims(subject, role, ttl_seconds), secret, algorithm="HS256",
                      headers={"kid": key_id(secret)})


def issue_signed_token(private_jwk: str, subject: str, role: Role, ttl_seconds: int) -> str:
    """A token for `subject` in `role`, valid for `ttl_seconds`, signed with the private JWK
    (JSON; EdDSA or RS256) that `roster keys jwks` wrote, naming it by its `kid`."""
    key = jwt.PyJWK.from_json(private_jwk)
    return jwt.encode(_claims(subject, role, ttl_seconds), key.key, algorithm=key.algorithm_name,
                      headers={"kid": key.key_id})


@dataclass(frozen=True)
class VerificationKey:
    """A key tokens may be signed with, and the one algorithm it is used with."""

    key: Any
    algorithm: str


ASYMMETRIC = frozenset({"EdDSA", "RS256"})
"""The algorithms of keys published in a JWKS."""


@dataclass(frozen=True)
class Verifier:
    """Checks bearer tokens: signed by one of `keys`, chosen by the token's `kid` and only
    with that key's algorithm (shared secrets HS256; public keys from a JWKS EdDSA or RS256),
    so a new key signs while tokens of the previous ones stay valid until they expire; every
    claim of `CLAIMS` present, issuer and audience ours, and issued no longer than
    `max_age_seconds` ago, with `leeway_seconds` for clocks that differ."""

    keys: dict[str, VerificationKey]
    max_age_seconds: int = 24 * 3600
    leeway_seconds: int = 30
    _verified: TTLCache[str, _Verified] = field(
        default_factory=lambda: TTLCache(10_000, VERIFIED_SECONDS), compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @classmethod
    def of(cls, current: str, previous: Sequence[str] = (), max_age_seconds: int = 24 * 3600,
           leeway_seconds: int = 30) -> Verifier:
        """A verifier of tokens signed with the shared secret `current` or any of
        `previous`."""
        return cls({key_id(k): VerificationKey(k, "HS256") for k in (current, *previous)},
                   max_age_seconds, leeway_seconds)

    @classmethod
    def of_jwks(cls, jwks: str, max_age_seconds: int = 24 * 3600,
                leeway_seconds: int = 30) -> Verifier:
        """A verifier of tokens signed by the private halves of the public keys in `jwks`
        (JSON); each key must name its `kid` and an asymmetric `alg`."""
        keys = {}
        for found in jwt.PyJWKSet.from_json(jwks).keys:
            if found.key_id is None or found.algorithm_name not in ASYMMETRIC:
                msg = f"each JWKS key needs a kid and an alg of {sorted(ASYMMETRIC)}"
                raise ValueError(msg)
            keys[found.key_id] = VerificationKey(found.key, found.algorithm_name)
        return cls(keys, max_age_seconds, leeway_seconds)

    def principal(self, authorization: str | None) -> Principal:
        """The principal named by an `Authorization: Bearer` header, or `NotAuthenticated`."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("send an Authorization: Bearer token")
        with self._lock:
            known = self._verified.get(token)
        if known is None:
            known = self._verify(token)
            with self._lock:
                self._verified[token] = known
        now = time.time()
        if now > known.expires_at + self.leeway_seconds:
            raise NotAuthenticated("the bearer token is not valid: Signature has expired")
        if now - known.issued_at > self.max_age_seconds + self.leeway_seconds:
            raise NotAuthenticated(f"the bearer token was issued more than "
                                   f"{self.max_age_seconds}s ago; ask for a new one")
        return known.principal

    def _verify(self, token: str) -> _Verified:
        """Check the token's key, signature and claims."""
        try:
            found = self.keys.get(str(jwt.get_unverified_header(token).get("kid")))
            if found is None:
                raise NotAuthenticated("the bearer token names no key of ours (kid)")
            claims = jwt.decode(token, found.key, algorithms=[found.algorithm], issuer=ISSUER,
                                audience=AUDIENCE, leeway=self.leeway_seconds,
                                options={"require": CLAIMS})
            return _Verified(Principal(str(claims["sub"]), Role(str(claims["role"]))),
                             float(claims["iat"]), float(claims["exp"]))
        except (jwt.InvalidTokenError, ValueError) as error:
            raise NotAuthenticated(f"the bearer token is not valid: {error}") from None


def caller(*roles: Role) -> Any:
    """A FastAPI dependency giving the authenticated caller (checked by the app's
    `state.verifier`), refused unless it holds one of `roles`."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        verifier: Verifier = request.app.state.verifier
        who = verifier.principal(request.headers.get("authorization"))
        if who.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise NotAllowed(f"role {who.role.value} may not do this; needs one of: {names}")
        return who

    return Depends(dependency)
