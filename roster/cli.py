"""The `roster` command line."""

from __future__ import annotations

import contextlib
import getpass
import os
import signal
import threading
from datetime import datetime
from functools import partial
from typing import Annotated

import orjson
import typer
import uvicorn
from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn

from consumers import dead_letters
from consumers import rebuild as rebuild_job
from consumers.generations import Generations, NoLiveGeneration
from consumers.log import EventLog
from consumers.rebuild import PAGE, RebuildUnderWay
from consumers.redrive import retry_parked
from consumers.snapshot import SnapshotRefused
from consumers.verify import Unverifiable
from projections import generations, snapshots
from projections.catalog import PROJECTIONS
from projections.db import Cursor
from projections.generations import NotBuilding, State
from projections.projection import Projection
from projections.verification import Verdict
from roster import demo, health, logs, pipeline, rebuilds, tracing, wiring
from roster import dev as embedded
from roster.key_commands import keys
from roster.settings import Settings, Transport
from roster.verdicts import verdict_lines
from webkit.auth import Role, issue_signed_token, issue_token

cli = typer.Typer(help="roster: the agent lifecycle service.", no_args_is_help=True)
dlq = typer.Typer(help="Events a projection refused, parked in order per agent.",
                  no_args_is_help=True)
cli.add_typer(dlq, name="dlq")
snapshot = typer.Typer(help="Read models as they stood at a past moment, kept under a name.",
                       no_args_is_help=True)
cli.add_typer(snapshot, name="snapshot")

exports = typer.Typer(help="Files of agents written off the request path.",
                      no_args_is_help=True)
cli.add_typer(exports, name="exports")
cli.add_typer(keys, name="keys")

SNAPSHOT_PROJECTIONS = ("agent_summary", "dashboard", "hierarchy")
"""What a snapshot holds unless told otherwise: what `?snapshot=` serves."""


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT: the loop finishes its batch and returns."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _settings(server: bool = False) -> Settings:
    """Settings from the environment, with logs configured at their level: JSON for a server,
    readable lines for a person at a terminal, unless `ROSTER_LOG_FORMAT` says otherwise."""
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format, person=not server)
    return settings


@cli.command()
def writeapi(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the write API."""
    settings = _settings(server=True)
    uvicorn.run("roster.wiring:write_api_from_env", factory=True, host=host, port=port,
                workers=workers, log_config=None, access_log=False,
                **settings.server_options())


@cli.command()
def readapi(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the read API."""
    settings = _settings(server=True)
    uvicorn.run("roster.wiring:read_api_from_env", factory=True, host=host, port=port,
                workers=workers, log_config=None, access_log=False,
                **settings.server_options())


@cli.command()
def dev(
    reset: Annotated[bool, typer.Option(help="Wipe the data folder first.")] = False,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    write_port: Annotated[int, typer.Option(help="Port of the write API.")] = 8000,
    read_port: Annotated[int, typer.Option(help="Port of the read API.")] = 8001,
) -> None:
    """Run all of roster in one process on SQLite (no servers): the write API, the consumers
    fed from the event store's log, and the read API. Ctrl-C stops it."""
    settings = _settings()
    code = embedded.serve(settings, embedded.Ports(host, write_port, read_port),
                          _stop_on_signals(), reset, typer.echo)
    raise typer.Exit(code)


@cli.command("demo-data")
def demo_data(
    agents: Annotated[int, typer.Option(min=demo.LEVELS, help="How many agents.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the random choices.")] = 7,
) -> None:
    """Fill the configured store with a realistic population (names, offices, regions, an
    8-level hierarchy, licenses expiring at spread dates) through the real commands."""
    service = wiring.agent_service(_settings())
    first = EventLog(service).head() + 1
    columns = (*Progress.get_default_columns(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as bar:
        task = bar.add_task("onboarding agents", total=agents)
        fates = demo.fill(service, agents, seed, first, lambda n: bar.advance(task, n))
    service.close()
    sizes = " / ".join(str(n) for n in demo.level_sizes(agents))
    counts = ", ".join(f"{n} {fate.value}" for fate, n in sorted(fates.items()))
    typer.echo(f"{agents} agents in {demo.LEVELS} levels ({sizes}): {counts}")


@cli.command()
def token(
    sub: Annotated[str, typer.Option(help="Who the token names: the actor on events.")],
    role: Annotated[Role, typer.Option(help="The caller's role.")],
    ttl: Annotated[int | None, typer.Option(help="Seconds until it expires.")] = None,
) -> None:
    """Print a bearer token, signed with ROSTER_SIGNING_KEY_FILE when set (`roster keys
    jwks`), else with the shared secret (the embedded default)."""
    settings = Settings()
    seconds = ttl or settings.jwt_ttl_seconds
    if seconds > settings.jwt_max_age_seconds:
        raise typer.BadParameter(f"tokens older than {settings.jwt_max_age_seconds}s are "
                                 "refused (ROSTER_JWT_MAX_AGE_SECONDS)", param_hint="--ttl")
    if settings.signing_key_file is not None:
        typer.echo(issue_signed_token(settings.signing_key_file.read_text(), sub, role,
                                      seconds))
    else:
        typer.echo(issue_token(settings.jwt_secret.get_secret_value(), sub, role, seconds))


@cli.command()
def relay() -> None:
    """Publish the event store's log to Kafka (a second relay waits as standby)."""
    settings = _settings(server=True)
    tracing.configure("roster-relay")
    with contextlib.closing(pipeline.relay(settings)) as the_relay:
        health.serve(settings.health_host, settings.relay_health_port,
                     partial(pipeline.relay_check, settings, the_relay))
        the_relay.run(_stop_on_signals())


@exports.command("worker")
def exports_worker() -> None:
    """Take queued export runs and write their files until SIGTERM (several may run; each
    run is taken by one); removes expired files."""
    settings = _settings(server=True)
    os.nice(settings.export_nice)
    worker = pipeline.export_worker(settings)
    health.serve(settings.health_host, settings.exports_health_port,
                 partial(pipeline.export_check, worker))
    worker.run(_stop_on_signals())


Names = Annotated[list[str] | None, typer.Option(
    "--projection", help="A projection to run (repeatable); all when left out.")]


@cli.command()
def consume(
    projection: Names = None,
    group: Annotated[str | None, typer.Option(help="Consumer group (Kafka).")] = None,
) -> None:
    """Apply events to projections until SIGTERM, exactly once, from Kafka or (with
    ROSTER_TRANSPORT=log) straight from the event store's log."""
    settings = _settings(server=True)
    tracing.configure("roster-consumer")
    chosen = _chosen(projection)
    stop = _stop_on_signals()
    if settings.transport is Transport.LOG:
        with contextlib.closing(pipeline.in_process_feed(settings, chosen)) as in_process:
            pipeline.upgrade(settings, pipeline.generations(settings), chosen)
            in_process.run(stop)
        return
    name = group or (settings.consumer_group if not projection
                     else "roster-" + "+".join(p.name for p in chosen))
    feed = pipeline.kafka_feed(settings, chosen, name)
    pipeline.upgrade(settings, pipeline.generations(settings), chosen)
    health.serve(settings.health_host, settings.consumer_health_port,
                 partial(pipeline.feed_check, settings, feed))
    feed.run(stop)


@cli.command()
def rebuild(
    projection: Annotated[list[str] | None, typer.Argument(
        help="Projections to rebuild.", show_default=False)] = None,
    every: Annotated[bool, typer.Option("--all", help="Rebuild every projection.")] = False,
    status: Annotated[bool, typer.Option(
        "--status", help="List the generations and any rebuild under way, and stop.")] = False,
    abort: Annotated[str | None, typer.Option(
        help="Drop PROJECTION's unfinished generation, and stop.")] = None,
    keep: Annotated[bool, typer.Option(
        help="Keep each replaced generation (state `kept`) for comparison.")] = False,
    page: Annotated[int, typer.Option(min=1, help="Log events per bulk transaction.")] = PAGE,
    metrics_port: Annotated[int | None, typer.Option(
        help="Serve /metrics and /health on this port while it runs.")] = None,
    workers: Annotated[int, typer.Option(
        min=1, help="Processes sharing the projections out (each reads the log).")] = 2,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Rebuild read models from the event store's log beside the live ones, with zero
    downtime: each new generation switches live in one step once caught up. Killed, it
    resumes from where it stood when started again."""
    settings = _settings()
    if quiet:
        logs.configure("WARNING", settings.log_format, person=True)
    store = pipeline.generations(settings)
    if status:
        for line in rebuilds.status_lines(store.registry.run(generations.listed)):
            typer.echo(line)
        return
    if abort is not None:
        dropped = rebuild_job.abort(store, _chosen([abort])[0].name)
        typer.echo(f"{abort}: generation {dropped.number} dropped" if dropped
                   else f"{abort}: no rebuild under way")
        return
    if not projection and not every:
        raise typer.BadParameter("name projections to rebuild, or --all")
    chosen = _chosen(None if every else projection)
    if metrics_port is not None:
        health.serve(settings.health_host, metrics_port, lambda: (True, {"job": "rebuild"}))
    names = [p.name for p in chosen]
    with rebuilds.ProgressBars(names, shown=not quiet) as bars:
        groups = rebuilds.shares(names, workers)
        if len(groups) > 1:
            flags = ["--page", str(page), *(["--keep"] if keep else [])]
            code = max(worker.code for worker in rebuilds.run_workers(
                "rebuild", groups, flags, lambda: store.registry.run(generations.listed), bars))
        else:
            code = _rebuild_here(settings, store, chosen, page, keep, bars)
    if not quiet and code == 0:
        for generation in store.registry.run(generations.listed):
            if generation.projection in names and generation.state is State.LIVE:
                typer.echo(f"{generation.projection}: generation {generation.number} is live")
    raise typer.Exit(code)


def _rebuild_here(settings: Settings, store: Generations, chosen: list[Projection], page: int,
                  keep: bool, bars: rebuilds.ProgressBars) -> int:
    """Rebuild `chosen` in this process; the exit code."""
    try:
        pipeline.rebuild(settings, store, page=page, keep=keep, report=bars.update).run(chosen)
    except RebuildUnderWay as elsewhere:
        typer.echo(f"{elsewhere} is being rebuilt by another process (see --status)", err=True)
        return 1
    except NotBuilding as aborted:
        typer.echo(f"{aborted}: it was aborted (roster rebuild --abort)", err=True)
        return 1
    return 0


@cli.command()
def verify(
    projection: Annotated[list[str] | None, typer.Argument(
        help="Projections to verify.", show_default=False)] = None,
    every: Annotated[bool, typer.Option("--all", help="Verify every projection.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The verdicts as JSON.")] = False,
    repair: Annotated[bool, typer.Option(
        help="Rebuild each projection that differs, then verify it again.")] = False,
    page: Annotated[int, typer.Option(min=1, help="Log events per bulk transaction.")] = PAGE,
    workers: Annotated[int, typer.Option(
        min=1, help="Processes sharing the projections out (each reads the log).")] = 2,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Compare each live read model, row by row, with a fresh fold of the log at the same
    position, while the consumers keep running. Exit status 1 when anything differs (after
    --repair: when anything still differs)."""
    settings = _settings()
    if quiet or as_json:
        logs.configure("WARNING", settings.log_format, person=True)
    if not projection and not every:
        raise typer.BadParameter("name projections to verify, or --all")
    chosen = _chosen(None if every else projection)
    store = pipeline.generations(settings)
    shown = not (quiet or as_json)
    try:
        verdicts = _verified(settings, store, chosen, page, workers, shown)
        drifted = [p for p, v in zip(chosen, verdicts, strict=True) if v.differences]
        if repair and drifted:
            _say_verdicts(verdicts, as_json)
            with rebuilds.ProgressBars([p.name for p in drifted], shown=shown) as bars:
                pipeline.rebuild(settings, store, page=page, report=bars.update).run(drifted)
            verdicts = _verified(settings, store, drifted, page, workers, shown)
    except RebuildUnderWay as busy:
        typer.echo(f"{busy} is being rebuilt or verified by another process", err=True)
        raise typer.Exit(2) from None
    except Unverifiable as refused:
        typer.echo(str(refused), err=True)
        raise typer.Exit(2) from None
    _say_verdicts(verdicts, as_json)
    raise typer.Exit(1 if any(v.differences for v in verdicts) else 0)


def _verified(settings: Settings, store: Generations, chosen: list[Projection], page: int,
              workers: int, shown: bool) -> list[Verdict]:
    """The verdicts on `chosen`, in their order: verified here, or by worker processes each
    verifying a share (a worker that could not run has said why; exit 2)."""
    names = [p.name for p in chosen]
    with rebuilds.ProgressBars(names, shown=shown) as bars:
        groups = rebuilds.shares(names, workers)
        if len(groups) == 1:
            return pipeline.verification(settings, store, page=page,
                                         report=bars.update).run(chosen)
        done = rebuilds.run_workers("verify", groups, ["--page", str(page), "--json"],
                                    lambda: store.registry.run(generations.listed), bars)
    if any(worker.code not in (0, 1) for worker in done):
        raise typer.Exit(2)
    found = {v.projection: v for worker in done
             for v in map(Verdict.of_json, orjson.loads(worker.output))}
    return [found[name] for name in names]


def _say_verdicts(verdicts: list[Verdict], as_json: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps([v.as_json() for v in verdicts]).decode())
        return
    for verdict in verdicts:
        typer.echo("\n".join(verdict_lines(verdict)))


def _chosen(names: list[str] | None) -> list[Projection]:
    try:
        return pipeline.projections(names or ())
    except KeyError as unknown:
        known = ", ".join(PROJECTIONS)
        raise typer.BadParameter(f"no projection {unknown}; known: {known}") from None


@snapshot.command("create")
def snapshot_create(
    name: Annotated[str, typer.Argument(help="Its name: lower-case letters, digits, - and _.")],
    as_of: Annotated[datetime, typer.Option(
        "--as-of", formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%d%z"],
        help="The moment, in RFC 3339 with an offset, e.g. 2026-03-31T23:59:59+05:30.")],
    projection: Annotated[list[str] | None, typer.Option(
        help="Projections to hold (repeatable); by default the summary, the dashboard and "
             "the hierarchy.")] = None,
    by: Annotated[str, typer.Option(help="Who asks for it (recorded).")] = getpass.getuser(),
    page: Annotated[int, typer.Option(min=1, help="Log events per bulk transaction.")] = PAGE,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Fold the log up to a moment into read-only generations kept under NAME; the read API
    serves them with ?snapshot=NAME."""
    settings = _settings()
    if quiet:
        logs.configure("WARNING", settings.log_format, person=True)
    chosen = _chosen(list(projection or SNAPSHOT_PROJECTIONS))
    store = pipeline.generations(settings)
    try:
        with rebuilds.ProgressBars([p.name for p in chosen], shown=not quiet) as bars:
            made = pipeline.snapshots(settings, store, page=page, report=bars.update).create(
                name, as_of, chosen, by)
    except SnapshotRefused as refused:
        raise typer.BadParameter(str(refused)) from None
    except RebuildUnderWay:
        typer.echo(f"snapshot {name} is being created by another process", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"snapshot {made.name}: {', '.join(made.projections)} as of "
               f"{made.as_of.isoformat()} (log position {made.position})")


@snapshot.command("list")
def snapshot_list() -> None:
    """Every snapshot: name, moment, position, who made it and when, and what it holds."""
    store = pipeline.generations(_settings())
    typer.echo(f"{'name':<20} {'as of':<26} {'position':>9} {'by':<12} {'state':<8} holds")
    for s in store.registry.run(snapshots.all_snapshots):
        typer.echo(f"{s.name:<20} {s.as_of.isoformat():<26} {s.position:>9} "
                   f"{s.created_by:<12} {'ready' if s.ready else 'unready':<8} "
                   f"{', '.join(s.projections)}")


@snapshot.command("drop")
def snapshot_drop(name: Annotated[str, typer.Argument(help="The snapshot to remove.")]) -> None:
    """Remove a snapshot and its tables."""
    settings = _settings()
    dropped = pipeline.snapshots(settings, pipeline.generations(settings)).drop(name)
    if dropped is None:
        typer.echo(f"no snapshot {name}", err=True)
        raise typer.Exit(1)
    typer.echo(f"snapshot {name} dropped")


@dlq.command("list")
def dlq_list(projection: Annotated[str | None, typer.Option(help="Only this one.")] = None,
             ) -> None:
    """Show parked events: projection, position, agent, type, state, attempts, error."""
    store = pipeline.generations(_settings())
    letters: list[dead_letters.DeadLetter] = []
    for chosen in _chosen([projection] if projection else None):
        database = store.live(chosen.name)
        with contextlib.suppress(NoLiveGeneration):
            letters += database.run(partial(_parked, name=chosen.name))
        database.close()
    for d in letters:
        typer.echo(f"{d.projection}\t{d.position}\t{d.agent_id}\tv{d.agent_version}\t"
                   f"{d.event_type}\t{d.state}\t{d.attempts}\t{d.error}")
    typer.echo(f"{len(letters)} parked")


def _parked(cur: Cursor, name: str) -> list[dead_letters.DeadLetter]:
    return dead_letters.parked(cur, name)


@dlq.command("retry")
def dlq_retry(projection: Annotated[str | None, typer.Option(help="Only this one.")] = None,
              ) -> None:
    """Apply parked events again, per agent in order; exit 1 while some stay parked."""
    store = pipeline.generations(_settings())
    still = 0
    for chosen in _chosen([projection] if projection else None):
        database = store.live(chosen.name)
        outcome = retry_parked(database, chosen)
        database.close()
        typer.echo(f"{chosen.name}: {outcome.applied} applied, "
                   f"{outcome.still_parked} still parked")
        for error in outcome.errors:
            typer.echo(f"  {error}")
        still += outcome.still_parked
    raise typer.Exit(1 if still else 0)


def main() -> None:
    """Run the command line."""
    cli()
