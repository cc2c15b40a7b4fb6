"""The health endpoint of the relay, consumer and exports worker: `roster_ready` on /metrics
says what /health/ready says, at each scrape."""

from __future__ import annotations

from typing import Any

import httpx

from roster import health


def test_roster_ready_follows_the_readiness_check_at_each_scrape() -> None:
    state = {"ready": True}

    def check() -> tuple[bool, dict[str, Any]]:
        return state["ready"], {}

    server = health.serve("127.0.0.1", 0, check)
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        assert httpx.get(f"{url}/health/ready").status_code == 200
        assert "roster_ready 1.0" in httpx.get(f"{url}/metrics").text
        state["ready"] = False
        assert httpx.get(f"{url}/health/ready").status_code == 503
        assert "roster_ready 0.0" in httpx.get(f"{url}/metrics").text
    finally:
        server.shutdown()
