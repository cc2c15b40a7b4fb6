"""Security headers on every answer of both APIs (answers, problems, refusals), a policy for
the docs page that admits its own inline script by hash, and CORS only for named origins."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.testclient import TestClient

from roster.settings import Settings
from roster.wiring import read_api, write_api
from tests.readapi.conftest import Models
from webkit.security import HEADERS


def test_every_answer_of_both_apis_carries_the_security_headers(
        read_settings: Settings, models: Models, viewer: dict[str, str]) -> None:
    limited = read_settings.model_copy(update={"rate_limits": True,
                                               "rate_limit_search": "1/minute"})
    with TestClient(read_api(limited)) as reads, TestClient(write_api(limited)) as writes:
        answers = [reads.get("/v1/agents", headers=viewer), reads.get("/v1/agents",
                                                                        headers=viewer),
                   reads.get("/v1/dashboard"), reads.get("/health/live"),
                   reads.get("/openapi.json"), writes.post("/v1/agents", json={}),
                   writes.get("/health/live")]
        assert [a.status_code for a in answers] == [200, 429, 401, 200, 200, 401, 200]
        for answer in answers:
            assert {k: answer.headers[k] for k in HEADERS} == HEADERS
        assert "access-control-allow-origin" not in reads.options(
            "/v1/agents", headers={"Origin": "https://elsewhere.example",
                                   "Access-Control-Request-Method": "GET"}).headers


def test_the_docs_page_runs_its_own_inline_script_and_nothing_else(
        read_settings: Settings, models: Models) -> None:
    with TestClient(read_api(read_settings)) as reads:
        page = reads.get("/docs")
    policy = page.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert inline
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy
    assert policy.startswith("default-src 'none'")


def test_cors_answers_only_the_named_origins(
        read_settings: Settings, models: Models, viewer: dict[str, str]) -> None:
    allowed = read_settings.model_copy(update={"cors_origins": ("https://back.example",)})
    with TestClient(read_api(allowed)) as reads:
        asked = {"Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"}
        ours = reads.options("/v1/agents", headers={"Origin": "https://back.example", **asked})
        theirs = reads.options("/v1/agents", headers={"Origin": "https://evil.example", **asked})
        got = reads.get("/v1/agents", headers={"Origin": "https://back.example", **viewer})
    assert ours.headers["access-control-allow-origin"] == "https://back.example"
    assert "access-control-allow-origin" not in theirs.headers
    assert got.headers["access-control-allow-origin"] == "https://back.example"
    assert "X-Read-Position" in got.headers["access-control-expose-headers"]
