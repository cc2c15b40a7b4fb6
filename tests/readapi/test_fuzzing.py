"""Both APIs fuzzed in process by Schemathesis from their own OpenAPI documents, on both stores:
each generated request is sent with every role's token, and every answer must be no 5xx, of a
status and media type the route declares, with a body that fits the declared schema (a problem
body for every refusal)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from commands.service import AgentService
from roster import wiring
from roster.settings import Settings
from tests.readapi.conftest import Models
from webkit.auth import Role, issue_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 15
"""Generated requests per route, store and API, each sent once per role."""

@pytest.fixture(params=["write", "read"])
def api(request: pytest.FixtureRequest, read_settings: Settings, write: AgentService,
        models: Models) -> FastAPI:
    """The write or the read API over the test's stores (read models made, empty)."""
    if request.param == "write":
        return wiring.write_api(read_settings, write)
    return wiring.read_api(read_settings, write)


@pytest.fixture
def api_schema(api: FastAPI) -> Any:
    """The API's own OpenAPI document, loaded by Schemathesis for in-process calls."""
    return schemathesis.openapi.from_asgi("/openapi.json", api)


@pytest.fixture
def tokens(read_settings: Settings) -> dict[Role, dict[str, str]]:
    """An Authorization header per role."""
    secret = read_settings.jwt_secret.get_secret_value()
    return {role: {"Authorization": f"Bearer {issue_token(secret, f'fuzz-{role}', role, 600)}"}
            for role in Role}


def test_every_answer_to_every_role_is_one_the_api_declares(
    api_schema: Any, tokens: dict[Role, dict[str, str]]
) -> None:
    sent = 0
    for found in api_schema.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzzed(case: Case[Any]) -> None:
            nonlocal sent
            for header in tokens.values():
                case.call_and_validate(headers=header, checks=CHECKS)
                sent += 1

        fuzzed()
    print(f"{sent} requests")
    assert sent >= EXAMPLES * len(Role)
