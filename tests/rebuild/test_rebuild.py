"""Rebuilds with zero downtime: every projection rebuilt beside the live one under a steady
write load, with the consumers running, readers never failing, and the result equal to a fold
of the log; a rebuild killed again and again that resumes; a version bump that rebuilds in the
background."""

from __future__ import annotations

import random
import threading
import time
from functools import partial

import httpx
import psycopg

from commands.service import AgentService
from projections.generations import State, file_name, schema_name
from projections.timeline import TimelineProjection
from roster import pipeline
from roster.settings import Settings, Store, Transport
from tests.pipeline.conftest import Roster, free_port
from tests.pipeline.workload import wait_for
from tests.rebuild.helpers import (
    Readers,
    assert_whole_log_folded,
    caught_up,
    operations_page,
    populate,
    registry,
    running,
    writing,
)

NAMES = sorted(p.name for p in pipeline.projections())


def test_every_projection_rebuilt_under_load_never_fails_a_read_and_equals_the_fold(
    rebuild_settings: Settings, rebuild_service: AgentService, roster: Roster
) -> None:
    settings, service = rebuild_settings, rebuild_service
    agents = running(settings, service, roster, 400)
    with Readers(settings, agents) as readers, writing(service) as workload:
        done = roster.run("rebuild", "--all", "--page", "2000")
        assert done.returncode == 0, done.stderr
        assert workload.commands > 0
    assert readers.failures == []
    assert readers.reads > 20
    assert caught_up(settings, service), "the consumers feed the new generations"
    live = {g.projection: g.number for g in registry(settings) if g.state is State.LIVE}
    assert live == dict.fromkeys(NAMES, 2)
    assert_whole_log_folded(settings, service)


def _building(settings: Settings) -> dict[str, tuple[int, int]]:
    """Each generation under construction: its number and how far it has got."""
    return {g.projection: (g.number, g.position) for g in registry(settings)
            if g.state is State.BUILDING}


def _live(settings: Settings) -> dict[str, int]:
    return {g.projection: g.number for g in registry(settings) if g.state is State.LIVE}


def _progressed(settings: Settings, before: dict[str, int]) -> bool:
    return any(position > before.get(name, 0)
               for name, (_, position) in _building(settings).items())


def test_a_rebuild_killed_five_times_resumes_where_it_stood_and_equals_the_fold(
    rebuild_settings: Settings, rebuild_service: AgentService, roster: Roster
) -> None:
    settings, service = rebuild_settings, rebuild_service
    running(settings, service, roster, 1500)
    chance = random.Random(5)
    seen: dict[str, tuple[int, int]] = {}
    pending = NAMES
    for kill in range(5):
        assert pending, "something is still being built, to be killed again"
        port = free_port()
        job = roster.start("rebuild", *pending, "--page", "50", "--metrics-port", str(port))
        before = {name: position for name, (_, position) in seen.items()}
        assert wait_for(partial(_progressed, settings, before), every=0.05), \
            "the job made progress before it was killed"
        if kill == 0:
            _shows_the_rebuild(settings, port)
        time.sleep(chance.uniform(0, 0.2))
        job.kill()
        assert job.wait() != 0, "killed before it finished"
        now = _building(settings)
        live = _live(settings)
        for name, (number, position) in seen.items():
            if name in now:
                assert now[name][0] == number, "the same generation, resumed"
                assert now[name][1] >= position, "never back to an earlier position"
            else:
                assert live[name] == number, "finished and switched before the kill"
        seen, pending = now, sorted(now)
    if pending:
        done = roster.run("rebuild", *pending)
        assert done.returncode == 0, done.stderr
    assert _live(settings) == dict.fromkeys(NAMES, 2), "each killed generation was finished"
    assert caught_up(settings, service)
    assert_whole_log_folded(settings, service)


def _shows_the_rebuild(settings: Settings, port: int) -> None:
    """The operations page and the job's metrics show the rebuild under way."""
    page = operations_page(settings)
    building = [p for p in page["projections"] if p["rebuild"] is not None]
    assert building, page
    assert all(p["live"]["generation"] == 1 for p in building)
    assert any(p["rebuild"]["position"] > 0 and 0 < p["rebuild"]["progress"] < 1
               for p in building)
    assert wait_for(lambda: "roster_rebuild_events_total{" in _metrics(port), every=0.1)
    text = _metrics(port)
    assert "roster_rebuild_progress_ratio{" in text


def _metrics(port: int) -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return ""


class TimelineV2(TimelineProjection):
    """The timeline as a deployment with a bumped version ships it."""

    version = 2


def test_a_version_bump_rebuilds_in_the_background_and_switches_with_no_failed_read(
    rebuild_settings: Settings, rebuild_service: AgentService
) -> None:
    settings = rebuild_settings.model_copy(update={"transport": Transport.LOG})
    service = rebuild_service
    agents = populate(service, 300)
    stop = threading.Event()
    first = pipeline.in_process_feed(settings, pipeline.projections(), service)
    assert first.catch_up() > 0
    with Readers(settings, agents) as readers, writing(service):
        running = threading.Thread(target=first.run, args=(stop,))
        running.start()
        deployed = [p for p in pipeline.projections() if p.name != "timeline"] + [TimelineV2()]
        upgraded = pipeline.in_process_feed(settings, deployed, service)
        stop.set()
        running.join()
        stop.clear()
        running = threading.Thread(target=upgraded.run, args=(stop,))
        running.start()
        rebuilding = pipeline.upgrade(settings, pipeline.generations(settings), deployed,
                                      service)
        assert rebuilding is not None
        rebuilding.join(timeout=120)
        assert not rebuilding.is_alive()
    stop.set()
    running.join()
    upgraded.catch_up()
    first.close()
    upgraded.close()
    assert readers.failures == []
    timeline = [g for g in registry(settings) if g.projection == "timeline"]
    assert [(g.number, g.version, g.state) for g in timeline] == [(2, 2, State.LIVE)]
    if settings.store is Store.POSTGRES:
        assert caught_up(settings, service)
    assert_whole_log_folded(settings, service)


def _tables_of(settings: Settings, projection: str, number: int) -> bool:
    if settings.store is Store.SQLITE:
        return (settings.read_models_path.parent / file_name(projection, number)).exists()
    with psycopg.connect(settings.postgres_conninfo()) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (
            schema_name(settings.postgres_schema, projection, number),)).fetchone())


def test_abort_drops_an_unfinished_generation_and_the_next_rebuild_starts_afresh(
    rebuild_settings: Settings, rebuild_service: AgentService, roster: Roster
) -> None:
    settings, service = rebuild_settings, rebuild_service
    running(settings, service, roster, 300)
    job = roster.start("rebuild", "timeline", "--page", "20")
    assert wait_for(partial(_progressed, settings, {}), every=0.05)
    job.kill()
    job.wait()
    assert "timeline" in _building(settings)
    status = roster.run("rebuild", "--status")
    assert any(line.split()[:4] == ["timeline", "2", "1", "building"]
               for line in status.stdout.splitlines()), status.stdout
    aborted = roster.run("rebuild", "--abort", "timeline")
    assert aborted.stdout.strip() == "timeline: generation 2 dropped", aborted.stdout
    assert _building(settings) == {}
    assert not _tables_of(settings, "timeline", 2), "its schema or file is gone"
    assert roster.run("rebuild", "--abort", "timeline").stdout.strip() == \
        "timeline: no rebuild under way"
    done = roster.run("rebuild", "timeline")
    assert done.returncode == 0, done.stderr
    assert _live(settings)["timeline"] == 2, "built afresh under the number it freed"
    assert_whole_log_folded(settings, service)


def test_rebuilds_of_other_projections_switch_side_by_side(
    rebuild_settings: Settings, rebuild_service: AgentService, roster: Roster
) -> None:
    settings, service = rebuild_settings, rebuild_service
    running(settings, service, roster, 200)
    for _ in range(4):
        jobs = [roster.start("rebuild", *names, "--workers", "1", "--page", "200")
                for names in (("timeline", "notifications", "hierarchy"),
                              ("dashboard", "agent_summary", "audit_log"))]
        assert [job.wait(timeout=120) for job in jobs] == [0, 0]
    assert set(_live(settings).values()) == {1, 5}
    assert caught_up(settings, service)
    assert_whole_log_folded(settings, service)
