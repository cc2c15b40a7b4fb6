"""Settings: the embedded default needs nothing; other stores refuse the default secrets."""

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from roster.settings import Settings, Store


def test_with_nothing_set_the_embedded_sqlite_default_applies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("ROSTER_STORE", "ROSTER_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.store is Store.SQLITE
    assert settings.event_store_env()["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"


def test_postgres_refuses_the_default_secrets() -> None:
    with pytest.raises(ValidationError, match="ROSTER_JWT_SECRET"):
        Settings(_env_file=None, store=Store.POSTGRES, allow_hs256=True)


def test_postgres_refuses_shared_secret_tokens_unless_allowed(tmp_path: Path) -> None:
    secret = SecretStr("s" * 40)
    with pytest.raises(ValidationError, match="ROSTER_JWKS_FILE"):
        Settings(_env_file=None, store=Store.POSTGRES, jwt_secret=secret, hrms_secret=secret,
                 encryption_key=secret)
    Settings(_env_file=None, store=Store.POSTGRES, jwks_file=tmp_path / "jwks.json",
             hrms_secret=secret, encryption_key=secret)


def test_secrets_shorter_than_32_characters_are_refused() -> None:
    with pytest.raises(ValidationError, match="jwt_secret"):
        Settings(_env_file=None, jwt_secret=SecretStr("short"))


def test_events_are_encrypted_at_rest_on_every_store() -> None:
    env = Settings(_env_file=None).event_store_env()
    assert env["CIPHER_TOPIC"] == "eventsourcing.cryptography:AESCipher"
