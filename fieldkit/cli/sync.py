"""CLI commands: `login` (store the centre's URL and a token) and `sync` (push and pull).

Only typer and the standard library are imported at module level.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fieldkit.cli.environment import environment
from fieldkit.cli.options import JsonOption, RecordsOption, ServerOption, TokenOption
from fieldkit.cli.output import SYNC
from fieldkit.errors import ExitCode


def register(app: typer.Typer) -> None:
    """Add `login` and `sync` to the root app."""
    app.command("login")(login_command)
    app.command("sync")(sync_command)


def login_command(
    ctx: typer.Context,
    server: Annotated[str, typer.Option("--server", metavar="URL", help="The centre's server.")],
    token: Annotated[str, typer.Option("--token", metavar="T", help="Your token.")],
) -> None:
    """Store the centre's server URL and your token (owner-only file) for `sync` and reports."""
    from fieldkit.sync.login import save_login

    path = save_login(server, token)
    environment(ctx).stderr.write(f"saved in {path}\n")


def sync_command(
    ctx: typer.Context,
    server: ServerOption = None,
    token: TokenOption = None,
    records: RecordsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Push every finished visit and closure the centre has not accepted, then pull its
    checklists and service levels. Exit 0 all accepted, 1 some refused, 2 bad input or
    token, 3 unreachable."""
    from fieldkit.sync.login import resolve_login
    from fieldkit.sync.service import sync

    env = environment(ctx)
    result = sync(resolve_login(server, token), env.records(records))
    if as_json:
        env.emit(SYNC, result.to_json())
    for refusal in result.refused:
        env.stderr.write(f"fieldkit: refused {refusal.what}: {refusal.reason}\n")
    for kept in result.checklists_kept:
        env.stderr.write(f"fieldkit: checklist {kept.what}: {kept.reason}\n")
    if result.service_levels_kept is not None:
        env.stderr.write(f"fieldkit: service levels: {result.service_levels_kept.reason}\n")
    pulled = result.service_levels_installed
    env.stderr.write(
        f"{result.server} as {result.user}: {len(result.visits_pushed)} visits pushed, "
        f"{result.visits_already_there} already there, {len(result.refused)} refused, "
        f"{result.in_progress} in progress not sent; {len(result.closures_pushed)} closures "
        f"pushed; {len(result.checklists_installed)} checklists installed"
        + (f"; service levels {pulled} installed" if pulled else "") + "\n"
    )
    if result.refused:
        raise typer.Exit(ExitCode.FAILED)
