"""The HR system's webhook: signature check and the deliveries it sends."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from commands import models
from webkit.problems import Problem

SIGNATURE_PREFIX = "sha256="


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value of `body` sent at `timestamp`: HMAC-SHA256 over both."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify(
    secret: str, timestamp: str | None, sent: str | None, body: bytes, tolerance_seconds: int
) -> None:
    """Refuse a delivery whose signature is wrong or whose timestamp is stale."""
    if not timestamp or not sent:
        raise Problem(401, "signature_missing",
                      "send X-HRMS-Timestamp and X-HRMS-Signature headers")
    if not timestamp.isdigit():
        raise Problem(401, "bad_timestamp", "X-HRMS-Timestamp must be Unix seconds")
    if not hmac.compare_digest(signature(secret, timestamp, body), sent):
        raise Problem(401, "bad_signature", "the signature does not match the body")
    if abs(time.time() - int(timestamp)) > tolerance_seconds:
        raise Problem(401, "stale_delivery",
                      f"the delivery is older than {tolerance_seconds} seconds")


class _Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    delivery_id: Annotated[str, Field(min_length=1, max_length=128)]
    agent_code: Annotated[str, Field(min_length=1, max_length=20)]


class AgentTerminated(_Delivery):
    """HR ended the agent's contract."""

    event: Literal["terminated"]
    data: models.TerminateAgent


class TransferData(models.Command):
    """Where a transferred agent goes."""

    office_code: models.OfficeCode | None = None
    region: models.Region | None = None
    manager_code: str | None = None


class AgentTransferred(_Delivery):
    """HR moved the agent to another office, region or manager."""

    event: Literal["transferred"]
    data: TransferData


class AgentUpdated(_Delivery):
    """HR changed the agent's personal or contact details."""

    event: Literal["updated"]
    data: models.UpdateAgent


HrDelivery = Annotated[AgentTerminated | AgentTransferred | AgentUpdated,
                       Field(discriminator="event")]
"""Any delivery the HR system sends, told apart by its `event`."""
