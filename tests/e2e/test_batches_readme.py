"""The README's batch block, run exactly as written against `roster dev`: one item refused for
a PAN its batch already claims, the other two saved and found once the read side reached the
batch's position."""

from __future__ import annotations

import json

from tests.e2e.dev import Dev, readme_block


def test_the_readme_batch_block_works_against_roster_dev(dev: Dev) -> None:
    out = dev.shell(readme_block("batches"))
    answer_line, found_line = out.strip().splitlines()[-2:]
    answer = json.loads(answer_line)
    assert (answer["accepted"], answer["refused"]) == (2, 1), out
    assert [r["status"] for r in answer["results"]] == [201, 409, 201]
    assert answer["results"][1]["problem"]["code"] == "pan_taken"
    assert found_line == "['AG-0101', 'AG-0103']", out
