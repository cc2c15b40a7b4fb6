"""The README's privacy block, run exactly as written against `roster dev`: a disclosure in
full (and one refused without a reason), an erasure (and a second one refused), then the
marker from the event store, the profile and the replay, and the timeline showing it all."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.dev import Dev, readme_block

PERSONAL = ("pan", "aadhaar", "bank_account", "email", "phone")


def test_the_readme_privacy_block_works_against_roster_dev(dev: Dev) -> None:
    out = dev.shell(readme_block("privacy"))
    answers: list[dict[str, Any]] = [json.loads(line) for line in out.splitlines()
                                     if line.startswith("{")]
    rejected, shown, refused, erased, again, after, profile, as_of, timeline = answers
    assert rejected["version"] == 2
    assert shown["fields"] == {"pan": "FGHIJ5678K", "aadhaar": "567812345678"}
    assert refused["status"] == 422
    assert erased["version"] == 4
    assert (again["status"], again["code"]) == (409, "personal_data_erased")
    assert after["fields"] == dict.fromkeys(sorted(PERSONAL), "erased")
    assert {k: profile[k] for k in PERSONAL} == dict.fromkeys(PERSONAL, "erased")
    assert profile["status"] == "REJECTED"
    assert profile["agent_code"] == "AG-0900"
    assert as_of["state"]["pan"] == "erased"
    assert [e["type"] for e in timeline["items"]] == [
        "PersonalDataDisclosed", "PersonalDataErased", "PersonalDataDisclosed", "Rejected",
        "Onboarded"]
    assert "FGHIJ5678K" not in json.dumps(timeline)
    assert "kiran@" not in json.dumps(timeline)
