"""`roster keys`: the master key that wraps the agents' data keys."""

from __future__ import annotations

import typer

from roster import logs, wiring
from roster.settings import Settings

keys = typer.Typer(help="The master key that wraps each agent's data key.", no_args_is_help=True)


@keys.command()
def rotate() -> None:
    """Re-wrap every agent's data key under ROSTER_MASTER_KEY; no event is touched. Name the
    key it replaces in ROSTER_PREVIOUS_MASTER_KEYS until this has run (safe to run again, and
    to stop at any point: each batch of keys is re-wrapped in one transaction)."""
    settings = Settings()
    logs.configure(settings.log_level)
    service = wiring.agent_service(settings)
    try:
        done = service.data_keys.rotate()
    finally:
        service.close()
    typer.echo(f"{done} data keys re-wrapped under master key {service.data_keys.current_id}")
