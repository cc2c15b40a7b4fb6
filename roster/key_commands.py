"""`roster keys`: the master key that wraps the agents' data keys."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from roster import logs, wiring
from roster.settings import Settings

keys = typer.Typer(help="Keys: the master key that wraps each agent's data key, and the keys "
                        "that sign and verify tokens.", no_args_is_help=True)


class Algorithm(StrEnum):
    """The asymmetric algorithms tokens may be signed with."""

    EDDSA = "EdDSA"
    RS256 = "RS256"


def _key_pair(algorithm: Algorithm) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new private JWK and its public half, both naming the key (`kid`) and `alg`."""
    if algorithm is Algorithm.EDDSA:
        private = ed25519.Ed25519PrivateKey.generate()
        pair = (OKPAlgorithm.to_jwk(private, as_dict=True),
                OKPAlgorithm.to_jwk(private.public_key(), as_dict=True))
    else:
        made = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        pair = (RSAAlgorithm.to_jwk(made, as_dict=True),
                RSAAlgorithm.to_jwk(made.public_key(), as_dict=True))
    kid = hashlib.sha256(json.dumps(pair[1], sort_keys=True).encode()).hexdigest()[:16]
    named = {"kid": kid, "alg": algorithm.value, "use": "sig"}
    return {**pair[0], **named}, {**pair[1], **named}


@keys.command()
def jwks(
    out: Annotated[Path, typer.Option(help="Folder of signing-key.json and jwks.json.")],
    alg: Annotated[Algorithm, typer.Option(help="The signing algorithm.")] = Algorithm.EDDSA,
) -> None:
    """Make a new signing key: the private key goes to OUT/signing-key.json (for the issuer:
    ROSTER_SIGNING_KEY_FILE, which `roster token` signs with) and its public half is added to
    OUT/jwks.json (for the APIs: ROSTER_JWKS_FILE). Keys already in jwks.json stay, so tokens
    signed by the previous key stay valid until they expire: rotate by running it again, and
    drop the old public key from jwks.json once its tokens have expired."""
    out.mkdir(parents=True, exist_ok=True)
    private, public = _key_pair(alg)
    published = out / "jwks.json"
    known = json.loads(published.read_text())["keys"] if published.exists() else []
    published.write_text(json.dumps({"keys": [*known, public]}, indent=2) + "\n")
    signing = out / "signing-key.json"
    signing.touch(mode=0o600)
    signing.chmod(0o600)
    signing.write_text(json.dumps(private) + "\n")
    typer.echo(f"key {public['kid']} ({alg.value}): private in {signing}, "
               f"public added to {published} ({len(known) + 1} keys)")


@keys.command()
def rotate() -> None:
    """Re-wrap every agent's data key under ROSTER_MASTER_KEY; no event is touched. Name the
    key it replaces in ROSTER_PREVIOUS_MASTER_KEYS until this has run (safe to run again, and
    to stop at any point: each batch of keys is re-wrapped in one transaction)."""
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format, person=True)
    service = wiring.agent_service(settings)
    try:
        done = service.data_keys.rotate()
    finally:
        service.close()
    typer.echo(f"{done} data keys re-wrapped under master key {service.data_keys.current_id}")
