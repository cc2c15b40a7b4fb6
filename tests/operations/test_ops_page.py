"""The operations page in a real browser (Debian's Chromium, headless, driven by Selenium):
an operator pastes a token and sees each projection's state, a rebuild's progress, the parked
dead letters with their error, the failed verification they cause, and a queued export; the
page refreshes by itself, keeps the token for the session, and says when a token is refused.
A screenshot is kept in .artifacts/ops-page.png."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from commands import models
from commands.service import AgentService
from consumers import tracking
from consumers.applier import Applier, RetryPolicy
from consumers.log import EventLog
from consumers.log_feed import LogFeed
from projections import generations
from projections.agent_summary import AgentSummaryProjection
from projections.catalog import PROJECTIONS
from projections.db import Cursor
from projections.generations import Generation, State
from projections.timeline import TimelineProjection
from roster import pipeline
from roster.settings import Settings, Transport
from tests.builders import onboard_body
from tests.pipeline.conftest import Roster, answers, free_port
from tests.pipeline.workload import APPROVER, BUG, REQUEST, Broken, wait_for
from webkit.auth import Role, issue_token

pytestmark = [pytest.mark.postgres]

SCREENSHOT = Path(__file__).resolve().parents[2] / ".artifacts" / "ops-page.png"


def _read_models(settings: Settings, service: AgentService) -> int:
    """Agents in every read model but one agent, whose events the summary parks; the number
    of events parked."""
    for _ in range(4):
        made = service.onboard(models.OnboardAgent(**onboard_body()), REQUEST)
        service.approve(made.agent_id, APPROVER)
    victim = service.onboard(models.OnboardAgent(**onboard_body()), REQUEST).agent_id
    store = pipeline.generations(settings)
    store.ensure_live(AgentSummaryProjection())
    broken = Applier(store.live(AgentSummaryProjection.name), Broken(victim), tracking.LOG,
                     RetryPolicy(attempts=1, first_wait=0.01))
    others = [pipeline.applier(settings, store, make(), tracking.LOG)
              for name, make in PROJECTIONS.items() if name != AgentSummaryProjection.name]
    feed = LogFeed(EventLog(service), [broken, *others])
    feed.catch_up()
    feed.close()
    return len(service.history(victim))


def _rebuilding(settings: Settings, head: int, position: int) -> None:
    """The registry as a rebuild of the timeline leaves it `position` into a log of `head`."""
    registry = pipeline.generations(settings).registry

    def record(cur: Cursor) -> None:
        found = generations.in_state(cur, TimelineProjection.name, State.BUILDING)
        building: Generation = found or generations.add(
            cur, TimelineProjection.name, TimelineProjection().version, State.BUILDING)
        generations.record_progress(cur, building, position, head, 812.5)

    registry.run(record)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    """Headless Chromium from Debian's packages, through its own chromedriver."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary, "chromium is installed by scripts/ops-tools.sh"
    assert driver, "chromium-driver is installed by scripts/ops-tools.sh"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1400,1250", "--disable-gpu"):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=ChromeService(executable_path=driver), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()


def _rows(browser: webdriver.Chrome, table: str) -> list[list[str]]:
    """The text of each cell of each row of `table`'s body, as a person reads them (read in
    one script: the page redraws its tables every second)."""
    found: list[list[str]] = browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), "
        "row => Array.from(row.cells, cell => cell.innerText.trim()))",
        f"#{table} tbody tr")
    return found


def _until(browser: webdriver.Chrome, check: object, seconds: float = 20) -> None:
    WebDriverWait(browser, seconds, poll_frequency=0.2).until(lambda _: check())  # type: ignore[operator]


def test_an_operator_sees_the_read_models_state_in_a_real_browser(
    pipeline_settings: Settings, pipeline_service: AgentService, tmp_path: Path,
    browser: webdriver.Chrome
) -> None:
    settings = pipeline_settings.model_copy(update={"transport": Transport.LOG})
    parked = _read_models(settings, pipeline_service)
    roster = Roster(settings, tmp_path)
    try:
        verified = roster.run("verify", AgentSummaryProjection.name)
        assert "differ" in verified.stdout + verified.stderr, verified
        head = pipeline_service.ready()
        _rebuilding(settings, head, head // 2)
        port = free_port()
        roster.start("readapi", "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        assert wait_for(partial(answers, f"{url}/health/live"), timeout=30), "the read API started"
        secret = settings.jwt_secret.get_secret_value()
        viewer = issue_token(secret, "vera", Role.VIEWER, 600)
        queued = httpx.post(f"{url}/v1/exports", json={"definition": {"format": "csv"}},
                            headers={"Authorization": f"Bearer {viewer}"})
        assert queued.status_code == 202, queued.text

        browser.get(f"{url}/ops?refresh=1")
        assert browser.title == "roster · operations"
        status = browser.find_element(By.ID, "status")
        assert "Paste an operator token" in status.text
        browser.find_element(By.ID, "token").send_keys(viewer)
        browser.find_element(By.ID, "use").click()
        _until(browser, lambda: "403" in status.text)
        assert "Refused or unreachable" in status.text, "a viewer's token is refused"

        operator = issue_token(secret, "otto", Role.OPERATOR, 600)
        browser.find_element(By.ID, "token").send_keys(operator)
        browser.find_element(By.ID, "use").click()
        _until(browser, lambda: f"Log head {head}" in status.text)
        projections = {row[0]: row for row in _rows(browser, "projections")}
        assert set(projections) == set(PROJECTIONS)
        summary = projections[AgentSummaryProjection.name]
        assert summary[1] == "failing"
        assert summary[5] == str(parked), "its dead letters"
        assert "differences at" in summary[6], "the verification found the parked agent missing"
        assert projections[TimelineProjection.name][1] == "rebuilding"
        assert projections["notifications"][1:5] == ["ok", "1 (v1)", str(head),
                                                     "0 positions, 0 s"]
        rebuilds = _rows(browser, "rebuilds")
        assert [r[:5] for r in rebuilds] == [
            ["timeline", "2", "50%", f"{head // 2} of {head}", "812.5"]]
        letters = _rows(browser, "dead-letters")
        assert len(letters) == parked
        assert {(r[0], r[3], r[4], r[6]) for r in letters} == {
            ("agent_summary", "Onboarded", "failed", f"RuntimeError: {BUG}"),
            ("agent_summary", "LicenseAdded", "waiting",
             "waits behind an earlier parked event of the same agent")}, letters
        assert [r[1:4] for r in _rows(browser, "exports")] == [["queued", "csv", "vera"]]
        SCREENSHOT.parent.mkdir(exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT))

        later = head * 3 // 4
        _rebuilding(settings, head, later)
        shown = f"{math.floor(100 * later / head + 0.5)}%"
        _until(browser, lambda: _rows(browser, "rebuilds")[0][2] == shown)

        browser.refresh()
        _until(browser, lambda: f"Log head {head}" in browser.find_element(By.ID, "status").text)
        browser.find_element(By.ID, "forget").click()
        assert "Token forgotten" in browser.find_element(By.ID, "status").text
    finally:
        roster.stop_all()
