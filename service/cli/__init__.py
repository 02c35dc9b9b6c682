"""The ``symbiosis`` command line.

``match`` holds demo, match, explain, generate and template; ``planner`` the regional planner's commands;
``server`` the HTTP service's; ``console`` the shared terminal output and exit codes. Only typer, click and
rich load at start: every command imports the engine it needs when it runs, so ``symbiosis --help``
answers at once.
"""

from __future__ import annotations

from typing import Annotated

import typer

from service.cli import match, planner, server
from service.cli.console import EXIT_CODES_HELP, EXIT_OK

app = typer.Typer(
    name="symbiosis",
    help="Match companies' byproducts (offers) with other companies' inputs (needs).",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"symbiosis-engine {version('symbiosis-engine')}")
        raise typer.Exit(code=EXIT_OK)


@app.callback()
def _root(
    _version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Match companies' byproducts (offers) with other companies' inputs (needs)."""


match.register(app)
server.register(app)
planner.register(app)


def main() -> None:
    """Entry point of the ``symbiosis`` command."""
    app()
