"""The README's exports block, run exactly as written against `roster dev`: a definition run by
the worker inside it, followed and downloaded; an auditor's run with personal columns and its
disclosure in the audit log; and the 61st search of a minute refused with its headers."""

from __future__ import annotations

import json

import httpx

from roster.settings import DEV_SECRET
from tests.e2e.dev import Dev, readme_block
from webkit.auth import Role, issue_token


def test_the_readme_exports_block_works_against_roster_dev(dev: Dev) -> None:
    out = dev.shell(readme_block("exports"))
    lines = out.splitlines()
    answers = [json.loads(line) for line in lines if line.startswith("{")]
    run = next(a for a in answers if a.get("links", {}).get("download"))
    assert run["state"] == "succeeded"
    token = issue_token(DEV_SECRET, "checker", Role.VIEWER, 60)
    searched = httpx.get("http://127.0.0.1:8001/v1/agents", params={
        "status": "ACTIVE", "region": "WEST", "limit": 200},
        headers={"Authorization": f"Bearer {token}"}).json()["items"]
    assert run["rows_written"] == run["rows_total"] == len(searched) > 0

    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip()
               for line in lines if ": " in line and not line.startswith("{")}
    assert headers["content-disposition"].startswith('attachment; filename="agents-')
    assert headers["etag"].startswith('"')
    assert "agent_code,first_name,last_name,office_code,licenses" in lines

    disclosed = [a for a in answers if "pan_full" in a]
    assert disclosed, out
    assert all(a["pan"].startswith("XXXXX") and not a["pan_full"].startswith("XXXXX")
               for a in disclosed)
    audit = next(a for a in answers if "items" in a and a["items"]
                 and "correlation_id" in a["items"][0])
    exported = [e for e in audit["items"] if e["type"] == "PersonalDataExported"]
    assert [(e["actor"], e["reason"]) for e in exported] == [("ada", "KYC re-check, ticket 881")]

    assert any(line.startswith("HTTP/1.1 429") for line in lines), out
    assert headers["ratelimit-limit"] == "60"
    assert int(headers["retry-after"]) >= 1
    assert answers[-1]["code"] == "rate_limited"
