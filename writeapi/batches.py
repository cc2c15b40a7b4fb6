"""Batches: many commands in one request, each checked and answered on its own (207)."""

from __future__ import annotations

from collections.abc import Callable
from hashlib import sha256
from typing import Any, TypeVar
from uuid import UUID

import orjson
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from commands.errors import DomainError
from commands.service import AgentService, Change, CommandResult, Outcome, Request
from webkit.problems import invalid_fields, problem_body
from writeapi.problems import described
from writeapi.schemas import json_response

MAX_ITEMS = 500
"""The most commands one batch carries."""

M = TypeVar("M")
"""A valid item's command."""

Refusal = dict[str, Any]
"""A problem's members: why one item of a batch was refused."""


class BatchResult(BaseModel):
    """How one item of a batch ended: `status` as if it had been sent alone, with the agent,
    its version and the position when accepted, or the problem when refused."""

    index: int
    status: int
    agent_id: UUID | None = None
    version: int | None = None
    position: int | None = None
    problem: dict[str, Any] | None = None


class BatchAnswer(BaseModel):
    """The answer to a batch (207 Multi-Status): how many items were accepted and refused,
    and each item's result, in the order sent."""

    accepted: int
    refused: int
    results: list[BatchResult]


def changes(items: list[dict[str, Any]], validate: Callable[[Any], M],
            make: Callable[[M], Change]) -> list[Change | Refusal]:
    """Each item as a change of the service (`make` of the command `validate` reads), or the
    problem of its invalid fields."""
    made: list[Change | Refusal] = []
    for item in items:
        try:
            command = validate(item)
        except ValidationError as error:
            made.append(problem_body(422, "invalid_request", "the item has invalid fields",
                                     errors=invalid_fields(error.errors())))
            continue
        made.append(make(command))
    return made


def item_request(batch: Request, index: int, item: dict[str, Any]) -> Request:
    """The request of one item: the batch's caller, and under the batch's idempotency key
    (if any) a key of the item's own, so a batch sent again answers each item as before."""
    key = batch.idempotency_key
    return Request(batch.provenance,
                   idempotency_key=None if key is None else f"{key}#{index}",
                   fingerprint=sha256(orjson.dumps(item, option=orjson.OPT_SORT_KEYS)).hexdigest())


def run(service: AgentService, batch: Request, items: list[dict[str, Any]],
        made: list[Change | Refusal],
        delivery: tuple[str, str] | None = None) -> list[Outcome | Refusal]:
    """Run the changes `made` of the valid items as one batch of the service; every item's
    outcome, the invalid ones' refusals kept in their places."""
    valid = [(index, c) for index, c in enumerate(made) if not isinstance(c, dict)]
    outcomes = service.run_batch(
        [(item_request(batch, index, items[index]), c) for index, c in valid], delivery)
    merged: dict[int, Outcome | Refusal] = {
        index: c for index, c in enumerate(made) if isinstance(c, dict)}
    merged |= {index: outcome for (index, _), outcome in zip(valid, outcomes, strict=True)}
    return [merged[index] for index in range(len(made))]


def answer(outcomes: list[Outcome | Refusal], accepted_status: int) -> Response:
    """The 207 answer: each item's result, and the last accepted position as `X-Position` (a
    read that waits for it sees every accepted item)."""
    results: list[dict[str, Any]] = []
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, CommandResult):
            results.append({"index": index, "status": accepted_status,
                            "agent_id": outcome.agent_id, "version": outcome.version,
                            "position": outcome.position})
            continue
        refusal = described(outcome) if isinstance(outcome, DomainError) else outcome
        results.append({"index": index, "status": refusal["status"], "problem": refusal})
    positions = [o.position for o in outcomes if isinstance(o, CommandResult)]
    headers = {"X-Position": str(max(positions))} if positions else None
    body = {"accepted": len(positions), "refused": len(outcomes) - len(positions),
            "results": results}
    return json_response(body, 207, headers)
