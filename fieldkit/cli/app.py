"""The `fieldkit` Typer app and the one handler that turns FieldkitErrors into exit codes.

Importing this module must stay cheap: command modules import the core (pydantic, yaml,
rich, ping3) inside their functions, so that `fieldkit --version` loads Typer alone.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from typer.models import TyperInfo

from fieldkit import version_line
from fieldkit.cli import checklists, followups, ping, report, run, server, sync, visits
from fieldkit.cli.console_encoding import configure_console
from fieldkit.cli.environment import Environment
from fieldkit.errors import FieldkitError, ValidationFailed


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(version_line() + "\n")
        raise typer.Exit()


def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Checklists, gateway ping tests and visit records for telecom field engineers."""
    ctx.ensure_object(Environment)  # the one of this run, unless a test passed its own


def build_app(argv: list[str] | None = None) -> typer.Typer:
    """The whole CLI, or, when `argv` starts with a top-level command's name, the CLI with that
    command alone: Typer builds a Click command from every registered function before it looks
    at argv (about 20 ms for fieldkit's forty), and start-up is what the engineer waits for."""
    app = typer.Typer(
        name="fieldkit",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for module in (checklists, ping, run, visits, report, followups, sync, server):
        module.register(app)
    if argv:
        invoked_commands = [info for info in app.registered_commands if info.name == argv[0]]
        invoked_groups = [info for info in app.registered_groups if _group_name(info) == argv[0]]
        if invoked_commands or invoked_groups:  # else Click's own error names every command
            app.registered_commands, app.registered_groups = invoked_commands, invoked_groups
    return app


def _group_name(info: TyperInfo) -> str | None:
    for name in (info.name, info.typer_instance.info.name if info.typer_instance else None):
        if isinstance(name, str):
            return name
    return None


def run_app(argv: list[str], env: Environment | None = None) -> None:
    """Run the CLI (with `env`, or the process's streams, clock and folders); every
    FieldkitError becomes its message on stderr and its exit code."""
    configure_console()
    try:
        build_app(argv)(args=argv, prog_name="fieldkit", obj=env)
    except ValidationFailed as error:
        for problem in error.problems:
            (env or sys).stderr.write(problem + "\n")
        sys.exit(error.exit_code)
    except FieldkitError as error:
        (env or sys).stderr.write(f"fieldkit: error: {error}\n")
        sys.exit(error.exit_code)
