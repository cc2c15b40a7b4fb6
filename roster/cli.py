"""The `roster` command line."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from roster import logs
from roster.settings import Settings
from writeapi.auth import Role, issue_token

cli = typer.Typer(help="roster: the agent lifecycle service.", no_args_is_help=True)


@cli.command()
def writeapi(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the write API."""
    logs.configure(Settings().log_level)
    uvicorn.run("roster.wiring:write_api_from_env", factory=True, host=host, port=port,
                workers=workers, log_config=None, access_log=False)


@cli.command()
def token(
    sub: Annotated[str, typer.Option(help="Who the token names: the actor on events.")],
    role: Annotated[Role, typer.Option(help="The caller's role.")],
    ttl: Annotated[int | None, typer.Option(help="Seconds until it expires.")] = None,
) -> None:
    """Print a bearer token for local use, signed with the configured secret."""
    settings = Settings()
    typer.echo(issue_token(settings.jwt_secret.get_secret_value(), sub, role,
                           ttl or settings.jwt_ttl_seconds))


def main() -> None:
    """Run the command line."""
    cli()
