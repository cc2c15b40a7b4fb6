"""The settings of every roster process: one class, read from the environment, validated at
start-up. With nothing set, the embedded default applies: SQLite under `.roster/`."""

from __future__ import annotations

import base64
import json
from enum import StrEnum
from hashlib import sha256
from pathlib import Path
from typing import Annotated, Any

import limits
from pydantic import AfterValidator, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from roster.logs import LogFormat
from webkit.limits import Limits

DEV_SECRET = "roster-embedded-dev-secret-not-for-production"  # noqa: S105
"""The secret the embedded default uses for JWTs, webhooks and encryption; refused elsewhere."""


class Store(StrEnum):
    """Where events and read models are kept."""

    SQLITE = "sqlite"
    POSTGRES = "postgres"


class Transport(StrEnum):
    """How events reach the consumers."""

    KAFKA = "kafka"
    LOG = "log"


def _rate(value: str) -> str:
    """A rate such as `60/minute` (the `limits` notation), checked."""
    try:
        limits.parse(value)
    except ValueError as error:
        raise ValueError(f"not a rate such as 60/minute: {value!r}") from error
    return value


RateLimit = Annotated[str, AfterValidator(_rate)]


class Settings(BaseSettings):
    """Every setting, from `ROSTER_*` environment variables (or a `.env` file)."""

    model_config = SettingsConfigDict(env_prefix="ROSTER_", env_file=".env", extra="ignore")

    store: Store = Store.SQLITE
    data_dir: Path = Path(".roster")

    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_user: str = "roster"
    postgres_password: SecretStr = SecretStr("roster")
    postgres_db: str = "roster"
    postgres_schema: str = "public"
    postgres_pool_size: int = Field(default=10, ge=1)
    postgres_max_overflow: int = Field(default=10, ge=0)

    jwt_secret: SecretStr = Field(default=SecretStr(DEV_SECRET), min_length=32)
    jwt_ttl_seconds: int = Field(default=3600, gt=0)
    jwt_max_age_seconds: int = Field(default=24 * 3600, gt=0)
    """Tokens issued longer ago than this are refused, whatever their expiry."""
    jwt_previous_secrets: tuple[SecretStr, ...] = ()
    """Secrets that signed tokens before `jwt_secret` (a JSON list): their tokens stay valid
    until they expire, so the secret rotates without a moment when tokens fail."""
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    """How far the clocks of issuer and API may differ."""
    jwks_file: Path | None = None
    """The public keys (EdDSA or RS256) that verify tokens, from `roster keys jwks`; when set,
    the shared `jwt_secret` verifies nothing. Required beside PostgreSQL."""
    signing_key_file: Path | None = None
    """The private key `roster token` signs with (`roster keys jwks` writes it)."""
    allow_hs256: bool = False
    """Accept tokens signed with the shared `jwt_secret` (HS256) beside PostgreSQL: for tests
    and trials; the embedded default always does."""
    hrms_secret: SecretStr = Field(default=SecretStr(DEV_SECRET), min_length=32)
    hrms_tolerance_seconds: int = Field(default=300, gt=0)
    encryption_key: SecretStr = Field(default=SecretStr(DEV_SECRET), min_length=32)
    master_key: SecretStr | None = Field(default=None, min_length=32)
    """The key that wraps each agent's data key; derived from `encryption_key` when unset.
    Rotate it with `roster keys rotate`, naming the replaced one in `previous_master_keys`."""
    previous_master_keys: tuple[SecretStr, ...] = ()
    """Master keys that wrapped data keys before `master_key` (a JSON list), kept until
    `roster keys rotate` has re-wrapped every data key."""
    data_key_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    """How long a process keeps an unwrapped data key; another process's erasure shows in
    command handling after at most this long (reads and exports fetch the key afresh)."""

    group_commit: bool = True
    """Save the events of commands that arrive together in one transaction."""
    group_commit_window_ms: float = Field(default=0.0, ge=0, le=50)
    """How long a group waits for more commands once none are queued (0: a group is what
    queued up while the previous one was written; a wait adds to a lone command's latency)."""
    group_commit_max_events: int = Field(default=5000, ge=1)
    """The most events one group writes (a batch bigger than this is written alone)."""

    transport: Transport = Transport.KAFKA
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_topic: str = "roster.agent-events"
    kafka_partitions: int = Field(default=6, ge=1)
    consumer_group: str = "roster-read-models"
    relay_batch: int = Field(default=1000, ge=1)
    consumer_batch: int = Field(default=1000, ge=1)
    consumer_session_timeout_ms: int = Field(default=10_000, ge=6_000)
    dead_letter_attempts: int = Field(default=3, ge=1)
    health_host: str = "127.0.0.1"
    relay_health_port: int = 9101
    consumer_health_port: int = 9102
    exports_health_port: int = 9104
    max_lag_seconds: float = Field(default=30.0, gt=0)

    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "roster"
    read_wait_seconds: float = Field(default=5.0, ge=0, le=60)
    read_max_waiting: int = Field(default=64, ge=1)
    """How many reads of one read API process may wait for `min_position` at once."""
    readapi_health_port: int = 9103

    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    max_batch_body_bytes: int = Field(default=1024 * 1024, gt=0)
    """The body of a batch (`POST /v1/agents:batch`, an HR delivery of many employees)."""
    max_header_bytes: int = Field(default=8192, ge=1024)
    """A request's headers, names and values together; past it the answer is 431."""
    max_headers: int = Field(default=100, ge=10)
    body_timeout_seconds: float = Field(default=10.0, gt=0)
    """How long a request body may stall between two parts; past it the answer is 408."""
    keep_alive_seconds: float = Field(default=5.0, gt=0)
    """How long a connection may stay idle, or take to send a request's line and headers."""
    max_connections: int = Field(default=1000, ge=1)
    """Connections one API process serves at once; past it the answer is 503."""
    cors_origins: tuple[str, ...] = ()
    """Origins whose browsers may call the APIs, as a JSON list; CORS is off when empty."""
    log_level: str = "INFO"
    log_format: LogFormat | None = None
    """`json` or `human` for every process; unset, the servers write JSON and `roster dev`
    and the command line readable coloured lines."""

    exports_dir: Path | None = None
    """Where export files are written; `exports` under the data folder when unset."""
    export_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    export_lease_seconds: float = Field(default=30.0, gt=0)
    export_poll_seconds: float = Field(default=1.0, gt=0)
    export_rows_per_second: int = Field(default=0, ge=0)
    """A cap on each export's pace, leaving the read models' CPU to the APIs (0: none)."""
    export_nice: int = Field(default=10, ge=0, le=19)
    """How much `roster exports worker` lowers its CPU priority: exports are background work
    and yield the CPU to the APIs on a shared machine."""

    rate_limits: bool = True
    rate_limit_search: RateLimit = "60/minute"
    rate_limit_exports: RateLimit = "10/minute"
    rate_limit_webhook: RateLimit = "1000/minute"
    rate_limit_default: RateLimit = "1200/minute"

    @model_validator(mode="after")
    def _embedded_reads_the_log(self) -> Settings:
        """Unless set, the consumers read Kafka beside PostgreSQL and the event store's log on
        the embedded default (SQLite), which runs no broker."""
        if "transport" not in self.model_fields_set and self.store is Store.SQLITE:
            self.transport = Transport.LOG
        return self

    @model_validator(mode="after")
    def _no_default_secrets_outside_embedded(self) -> Settings:
        if self.store is Store.SQLITE:
            return self
        if self.jwks_file is None and not self.allow_hs256:
            msg = ("set ROSTER_JWKS_FILE (make one with `roster keys jwks`): tokens signed "
                   f"with a shared secret (HS256) are refused with store={self.store.value} "
                   "unless ROSTER_ALLOW_HS256=true")
            raise ValueError(msg)
        shared = ("jwt_secret",) if self.jwks_file is None else ()
        defaults = [
            name for name in (*shared, "hrms_secret", "encryption_key")
            if getattr(self, name).get_secret_value() == DEV_SECRET
        ]
        if defaults:
            names = ", ".join(f"ROSTER_{n.upper()}" for n in defaults)
            msg = f"set {names}: default secrets are refused with store={self.store.value}"
            raise ValueError(msg)
        return self

    def request_limits(self) -> Limits:
        """The bounds on one request the APIs enforce."""
        return Limits(self.max_header_bytes, self.max_headers, self.body_timeout_seconds)

    def server_options(self) -> dict[str, Any]:
        """uvicorn's options for an API process: httptools with a deadline on request headers
        (the keep-alive time) and a bound on their size, and the connection bound."""
        return {"http": "webkit.limits:HeaderDeadline",
                "h11_max_incomplete_event_size": self.max_header_bytes + 1024,
                "timeout_keep_alive": self.keep_alive_seconds,
                "limit_concurrency": self.max_connections}

    def postgres_conninfo(self) -> str:
        """A libpq connection string for the configured PostgreSQL database."""
        return (f"host={self.postgres_host} port={self.postgres_port} "
                f"user={self.postgres_user} dbname={self.postgres_db} "
                f"password={self.postgres_password.get_secret_value()}")

    def environment(self) -> dict[str, str]:
        """The `ROSTER_*` variables that give another process these same settings."""
        values = self.model_dump(mode="json")
        for name, value in self:
            if isinstance(value, SecretStr):
                values[name] = value.get_secret_value()
            elif isinstance(value, tuple) and all(isinstance(v, SecretStr) for v in value):
                values[name] = [v.get_secret_value() for v in value]
        return {f"ROSTER_{k.upper()}": json.dumps(v) if isinstance(v, list) else str(v)
                for k, v in values.items() if v is not None}

    def tracking_source(self) -> tuple[str, int]:
        """Where the consumers' tracking marks come from, and its number of partitions."""
        if self.transport is Transport.KAFKA:
            return self.kafka_topic, self.kafka_partitions
        return "log", 1

    @property
    def export_folder(self) -> Path:
        """Where export files are kept."""
        return self.exports_dir or self.data_dir / "exports"

    @property
    def read_models_path(self) -> Path:
        """The registry of read-model generations on the embedded default; each generation's
        tables are a file beside it."""
        return self.data_dir / "read_models" / "generations.db"

    def read_models_conninfo(self) -> str:
        """The connection string of the read models: the configured schema, then `public`
        (where the pg_trgm and btree_gin extensions live)."""
        return (self.postgres_conninfo()
                + f" options='-c search_path={self.postgres_schema},public'")

    def _derived_key(self, purpose: str) -> bytes:
        return sha256(f"{purpose}:{self.encryption_key.get_secret_value()}".encode()).digest()

    @property
    def master_keys(self) -> list[bytes]:
        """The master keys as 32 bytes each: the current one first, then the previous ones,
        then the one derived from `encryption_key` (what wrapped keys before any was set)."""
        derived = self._derived_key("master")
        given = [self.master_key, *self.previous_master_keys] if self.master_key else []
        return [*(sha256(k.get_secret_value().encode()).digest() for k in given), derived]

    @property
    def index_key(self) -> bytes:
        """The key of the digests under which unique values (PAN, codes) are claimed."""
        return self._derived_key("index")

    def event_store_env(self) -> dict[str, str]:
        """The `eventsourcing` environment for the chosen store, with encryption at rest."""
        env = {
            "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
            "CIPHER_KEY": base64.b64encode(self._derived_key("cipher")).decode(),
            "MASTER_KEYS": ",".join(base64.b64encode(k).decode() for k in self.master_keys),
            "DATA_KEY_CACHE_SECONDS": str(self.data_key_cache_seconds),
            "GROUP_COMMIT": "on" if self.group_commit else "off",
            "GROUP_COMMIT_WINDOW_MS": str(self.group_commit_window_ms),
            "GROUP_COMMIT_MAX_EVENTS": str(self.group_commit_max_events),
        }
        if self.store is Store.SQLITE:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.data_dir / "events.db"),
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        else:
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_HOST": self.postgres_host,
                "POSTGRES_PORT": str(self.postgres_port),
                "POSTGRES_USER": self.postgres_user,
                "POSTGRES_PASSWORD": self.postgres_password.get_secret_value(),
                "POSTGRES_DBNAME": self.postgres_db,
                "POSTGRES_SCHEMA": self.postgres_schema,
                "POSTGRES_POOL_SIZE": str(self.postgres_pool_size),
                "POSTGRES_MAX_OVERFLOW": str(self.postgres_max_overflow),
                "POSTGRES_CONNECT_TIMEOUT": "5",
                "POSTGRES_LOCK_TIMEOUT": "5",
            }
        return env
