"""CLI commands: `followups list|close`.

Only typer and the standard library are imported at module level; the core and Rich are
imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fieldkit.cli.environment import Environment, environment
from fieldkit.cli.options import (
    JsonOption,
    LangChoice,
    LangOption,
    RecordsOption,
    RemoteServerOption,
    TokenOption,
)
from fieldkit.cli.output import FOLLOWUP_CLOSURE, FOLLOWUPS

if TYPE_CHECKING:
    from fieldkit.followups.items import FollowUp

def register(app: typer.Typer) -> None:
    """Add `followups ...` to the root app."""
    group = typer.Typer(
        name="followups",
        help="List the follow-ups recorded in visits, and close them.",
        no_args_is_help=True,
    )
    group.command("list")(list_command)
    group.command("close")(close_command)
    app.add_typer(group)


def list_command(
    ctx: typer.Context,
    sources: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[SOURCE...]",
            help="Record folders (searched recursively) and bundle zips "
            "(default: the records folder).",
            show_default=False,
        ),
    ] = None,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only items not closed (overdue ones included).")
    ] = False,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only open items past their due date.")
    ] = False,
    records: RecordsOption = None,
    lang: LangOption = None,
    as_json: JsonOption = False,
    server: RemoteServerOption = None,
    token: TokenOption = None,
) -> None:
    """List every follow-up item: overdue first, then open, then closed."""
    from fieldkit.cli.report import print_source_notes
    from fieldkit.followups.service import Which, list_followups
    from fieldkit.records.workers import default_workers

    env = environment(ctx)
    which: Which = "overdue" if overdue else "open" if open_only else "all"
    if server is not None:
        from fieldkit.errors import UserInputError
        from fieldkit.sync.followups import list_remote
        from fieldkit.sync.login import resolve_login

        if sources:
            raise UserInputError("give SOURCE folders or --server, not both")
        _show(env, list_remote(resolve_login(server, token), which, env.today()), lang, as_json)
        return
    if sources:
        where = sources
    else:
        folder = env.records(records)
        if not folder.is_dir():
            env.stderr.write(f"no visits in {folder}\n")
            if as_json:
                env.emit(FOLLOWUPS, [])
            return
        where = [folder]
    listing = list_followups(where, today=env.today(), which=which, workers=default_workers())
    _show(env, listing.items, lang, as_json)
    print_source_notes(env, listing.sources)


def _show(env: Environment, items: list[FollowUp], lang: LangChoice | None, as_json: bool) -> None:
    if as_json:
        env.emit(FOLLOWUPS, [item.to_json() for item in items])
    elif items:
        from fieldkit.ui.followups import followups_table

        env.print_tables([followups_table(items, env.language(lang))])
    else:
        from fieldkit.ui.followups import NO_ITEMS

        env.stderr.write(NO_ITEMS.get(env.language(lang)) + "\n")


def close_command(
    ctx: typer.Context,
    item: Annotated[
        str,
        typer.Argument(
            metavar="ITEM",
            help="A follow-up id as `followups list` shows it; the visit part may be any "
            "unique start or end of the visit id (XAB7#problems_found-2).",
        ),
    ],
    note: Annotated[
        str, typer.Option("--note", metavar="TEXT", help="How it was done (kept with the closure).")
    ],
    closed_by: Annotated[
        str | None,
        typer.Option(
            "--by", metavar="NAME", help="Who closed it (default: the engineer in the settings).",
            show_default=False,
        ),
    ] = None,
    records: RecordsOption = None,
    as_json: JsonOption = False,
    server: RemoteServerOption = None,
    token: TokenOption = None,
) -> None:
    """Close a follow-up: a small record beside the visits (or on the centre's server with
    --server); the visit record is unchanged."""
    from fieldkit.config import load_config
    from fieldkit.followups.service import close_item
    from fieldkit.records.store import RecordStore

    env = environment(ctx)
    who = closed_by if closed_by is not None else load_config().engineer
    if server is not None:
        from fieldkit.sync.followups import close_remote
        from fieldkit.sync.login import resolve_login

        closure = close_remote(resolve_login(server, token), item, note, who, env.now())
    else:
        closure = close_item(RecordStore(env.records(records)), item, note, closed_by=who,
                             now=env.now())  # fmt: skip
    if as_json:
        env.emit(FOLLOWUP_CLOSURE, closure.model_dump(mode="json"))
    env.stderr.write(
        f"closed {closure.item_id} at {closure.closed_at.isoformat(timespec='seconds')}\n"
    )
