"""roster's dashboards and alerts against a real Prometheus: the rules pass promtool (syntax and
their unit tests), and a Prometheus scraping real roster processes (write API, read API, relay,
consumer, exports worker on PostgreSQL, Redis and Kafka) evaluates every panel's and every
alert's query without error, each reading only metrics some process exposes."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from roster.settings import Settings
from tests.builders import onboard_body
from tests.operations.queries import DEPLOY, RULES, Query, alerts, panels
from tests.pipeline.conftest import Roster, answers, free_port
from tests.pipeline.workload import wait_for
from webkit.auth import Role, issue_token

PROMETHEUS = DEPLOY / "prometheus"
REPORT = Path(__file__).resolve().parents[2] / ".artifacts" / "prometheus-queries.md"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool, "promtool is installed by scripts/ops-tools.sh"
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60,
                          check=False)


def test_the_configuration_and_rules_pass_promtool() -> None:
    checked = _promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    rules = _promtool("check", "rules", str(RULES))
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in rules.stdout


def test_every_alert_fires_in_its_unit_test_and_only_then() -> None:
    tested = _promtool("test", "rules", str(PROMETHEUS / "rules_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    cases = yaml.safe_load((PROMETHEUS / "rules_test.yml").read_text())["tests"]
    fired = {a["alertname"] for case in cases for a in case.get("alert_rule_test", [])
             if a.get("exp_alerts")}
    assert fired == {q.title for q in alerts()}, "each alert has a case where it fires"


class _Prometheus:
    """A Prometheus scraping the given roster jobs every second, with roster's rules."""

    def __init__(self, folder: Path, targets: dict[str, int]) -> None:
        shipped: dict[str, Any] = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
        jobs = [c["job_name"] for c in shipped["scrape_configs"]]
        assert sorted(jobs) == sorted(targets), "the test scrapes every shipped job"
        config = {**shipped,
                  "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                  "rule_files": [str(RULES)],
                  "scrape_configs": [{**c, "static_configs": [
                      {"targets": [f"127.0.0.1:{targets[c['job_name']]}"]}]}
                      for c in shipped["scrape_configs"]]}
        (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        binary = shutil.which("prometheus")
        assert binary, "prometheus is installed by scripts/ops-tools.sh"
        self._process = subprocess.Popen(
            [binary, f"--config.file={folder / 'prometheus.yml'}",
             f"--storage.tsdb.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=(folder / "prometheus.log").open("wb"), stderr=subprocess.STDOUT)

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=2).is_success
        except httpx.TransportError:
            return False

    def api(self, path: str, **params: str) -> Any:
        answer = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = answer.json()
        assert body["status"] == "success", f"{path} {params}: {body}"
        return body["data"]

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


@pytest.fixture
def processes(roster: Roster, pipeline_settings: Settings) -> dict[str, int]:
    """Every kind of roster process running, each on a port of its own; the job each is."""
    ports = {job: free_port() for job in ("roster-writeapi", "roster-readapi", "roster-relay",
                                          "roster-consumer", "roster-exports")}
    env = {"ROSTER_RATE_LIMITS": "true", "ROSTER_LOG_LEVEL": "WARNING"}
    roster.start("writeapi", "--port", str(ports["roster-writeapi"]), **env)
    roster.start("readapi", "--port", str(ports["roster-readapi"]), **env)
    roster.start("relay", ROSTER_RELAY_HEALTH_PORT=str(ports["roster-relay"]), **env)
    roster.start("consume", ROSTER_CONSUMER_HEALTH_PORT=str(ports["roster-consumer"]), **env)
    roster.start("exports", "worker", ROSTER_EXPORTS_HEALTH_PORT=str(ports["roster-exports"]),
                 **env)
    for job, port in ports.items():
        scraped = partial(answers, f"http://127.0.0.1:{port}/metrics")
        assert wait_for(scraped, timeout=60), f"{job} started"
    return ports


@pytest.fixture
def prometheus(processes: dict[str, int], tmp_path: Path) -> Iterator[_Prometheus]:
    """A real Prometheus scraping `processes`."""
    server = _Prometheus(tmp_path, processes)
    try:
        assert wait_for(server.ready, timeout=30), "Prometheus started"
        yield server
    finally:
        server.close()


def _traffic(settings: Settings, ports: dict[str, int]) -> None:
    """Commands accepted and refused, reads, and a read waiting for its own write."""
    secret = settings.jwt_secret.get_secret_value()
    clerk = {"Authorization": f"Bearer {issue_token(secret, 'ann', Role.CLERK, 600)}"}
    approver = {"Authorization": f"Bearer {issue_token(secret, 'bo', Role.APPROVER, 600)}"}
    viewer = {"Authorization": f"Bearer {issue_token(secret, 'cy', Role.VIEWER, 600)}"}
    write = httpx.Client(base_url=f"http://127.0.0.1:{ports['roster-writeapi']}", timeout=30)
    read = httpx.Client(base_url=f"http://127.0.0.1:{ports['roster-readapi']}", timeout=30)
    with write, read:
        position = 0
        for _ in range(5):
            made = write.post("/v1/agents", json=onboard_body(), headers=clerk)
            assert made.status_code == 201, made.text
            approved = write.post(f"/v1/agents/{made.json()['agent_id']}/approve",
                                  headers=approver)
            assert approved.status_code == 200, approved.text
            position = approved.json()["position"]
        assert write.post("/v1/agents", json={}, headers=clerk).status_code == 422
        found = read.get("/v1/agents", params={"status": "ACTIVE", "min_position": position},
                         headers=viewer)
        assert found.status_code == 200, found.text
        assert read.get("/v1/agents", headers={}).status_code == 401


def test_every_panel_and_alert_query_evaluates_on_a_real_prometheus(
    pipeline_settings: Settings, processes: dict[str, int], prometheus: _Prometheus
) -> None:
    _traffic(pipeline_settings, processes)

    def scraped_twice_since() -> bool:
        targets = prometheus.api("targets")["activeTargets"]
        return len(targets) == len(processes) and all(t["health"] == "up" for t in targets)

    assert wait_for(scraped_twice_since, timeout=30), prometheus.api("targets")
    shipped = [*panels(), *alerts()]
    exposed = set(prometheus.api("label/__name__/values"))
    needed = {name for query in shipped for name in query.metric_names()}

    def all_exposed() -> bool:
        nonlocal exposed
        exposed = set(prometheus.api("label/__name__/values"))
        return needed <= exposed

    assert wait_for(all_exposed, timeout=30), f"no process exposes {sorted(needed - exposed)}"
    wait_for(lambda: False, timeout=3)  # three more scrapes: every rate() has two samples
    results = {q: prometheus.api("query", query=q.expr)["result"] for q in shipped}
    _report(results)
    answered = {q.title for q, series in results.items() if series}
    for title in ("Requests per second by route [A]", "Error rate (5xx share) [A]",
                  "Latency p50 / p95 / p99 by route [C]",
                  "Commands by type and outcome [A]", "Consumer lag in messages [A]",
                  "Freshness p50 / p99 [B]", "Events applied per second [A]",
                  "Relay lag and leader [B]", "PostgreSQL pools [A]", "Readiness [A]",
                  "Verification differences [A]", "Dead letters [A]"):
        assert title in answered, f"{title} shows data"
    firing = {q.title for q, series in results.items() if q.kind == "alert" and series}
    assert not firing, f"a healthy roster raises no alert: {firing}"
    rules = prometheus.api("rules")["groups"]
    assert all(r["health"] == "ok" for g in rules for r in g["rules"]), rules


def _report(results: dict[Query, list[Any]]) -> None:
    """Write what Prometheus answered for each query, for the closing note and the README."""
    REPORT.parent.mkdir(exist_ok=True)
    lines = ["| kind | name | query | series |", "|---|---|---|---|"]
    for query, series in results.items():
        expr = query.expr.replace("|", "\\|")
        lines.append(f"| {query.kind} | {query.title} | `{expr}` | {len(series)} |")
    REPORT.write_text("\n".join(lines) + "\n")
