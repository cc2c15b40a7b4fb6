"""The HR system's webhook: signature check and the deliveries it sends."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from commands import models
from webkit.problems import Problem
from writeapi.batches import MAX_ITEMS

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


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    agent_code: Annotated[str, Field(min_length=1, max_length=20)]


class Terminated(_Change):
    """HR ended the agent's contract."""

    event: Literal["terminated"]
    data: models.TerminateAgent


class TransferData(models.Command):
    """Where a transferred agent goes."""

    office_code: models.OfficeCode | None = None
    region: models.Region | None = None
    manager_code: str | None = None


class Transferred(_Change):
    """HR moved the agent to another office, region or manager."""

    event: Literal["transferred"]
    data: TransferData


class Updated(_Change):
    """HR changed the agent's personal or contact details."""

    event: Literal["updated"]
    data: models.UpdateAgent


HrChange = Annotated[Terminated | Transferred | Updated, Field(discriminator="event")]
"""One employee's change, told apart by its `event`."""

DeliveryId = Annotated[str, Field(min_length=1, max_length=128)]


class AgentTerminated(Terminated):
    """A delivery of one termination."""

    delivery_id: DeliveryId


class AgentTransferred(Transferred):
    """A delivery of one transfer."""

    delivery_id: DeliveryId


class AgentUpdated(Updated):
    """A delivery of one change of details."""

    delivery_id: DeliveryId


class ManyChanged(BaseModel):
    """A delivery of many employees' changes (a region-wide transfer, say): up to 500, each
    as a one-employee delivery without its `delivery_id`, checked and answered on its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delivery_id: DeliveryId
    event: Literal["batch"]
    changes: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ITEMS)


HrDelivery = Annotated[AgentTerminated | AgentTransferred | AgentUpdated | ManyChanged,
                       Field(discriminator="event")]
"""Any delivery the HR system sends, told apart by its `event`."""
