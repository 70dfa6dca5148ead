"""CLI commands: `server init|run`, `server user add|list|disable`, `server checklists publish`,
`server sla publish`.

Only typer and the standard library are imported at module level: FastAPI, SQLAlchemy and
Alembic (the optional extra `fieldkit[server]`) are imported inside the commands, so that
`fieldkit --help` never loads them and a laptop without the extra still starts.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from fieldkit.cli.environment import Environment, environment
from fieldkit.cli.options import JsonOption
from fieldkit.cli.output import SERVER_USERS

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", metavar="URL",
        help="postgresql+psycopg://user@host/dbname or sqlite:///path (default: FIELDKIT_SERVER_DB,"
        " else server.db in the user's data folder).",
    ),
]  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add `server ...` to the root app."""
    group = typer.Typer(
        name="server",
        help="The centre's store: run the server, manage its users and checklists "
        "(needs `pip install 'fieldkit[server]'`).",
        no_args_is_help=True,
    )
    group.command("init")(init_command)
    group.command("run")(run_command)
    users = typer.Typer(name="user", help="Who may push and read visits.", no_args_is_help=True)
    users.command("add")(user_add)
    users.command("list")(user_list)
    users.command("disable")(user_disable)
    users.command("token")(user_token)
    group.add_typer(users)
    published = typer.Typer(
        name="checklists", help="Checklists every laptop pulls on sync.", no_args_is_help=True
    )
    published.command("publish")(checklists_publish)
    group.add_typer(published)
    levels = typer.Typer(
        name="sla", help="Service levels the server's reports and every laptop use.",
        no_args_is_help=True,
    )
    levels.command("publish")(sla_publish)
    group.add_typer(levels)
    app.add_typer(group)


def _server_store() -> ModuleType:
    from fieldkit.errors import UserInputError

    try:
        from fieldkit.server import store
    except ImportError as error:
        raise UserInputError(
            f"the server needs the optional extra: pip install 'fieldkit[server]' ({error.name} "
            "is missing)"
        ) from None
    return store


def init_command(ctx: typer.Context, db: DbOption = None) -> None:
    """Create the database's schema, or upgrade it to this fieldkit's version."""
    version = _server_store().init(db)
    environment(ctx).stderr.write(f"the database schema is at version {version}\n")


def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The engineer's name exactly as records show it.")],
    role: Annotated[
        str, typer.Option("--role", metavar="ROLE", help="engineer, supervisor or admin.")
    ],
    team: Annotated[
        str | None,
        typer.Option(
            "--team", metavar="TEAM",
            help="The user's team; needed for a supervisor, who reads the visits their team's "
                 "engineers push.",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Add a user and print their token once (only its hash is kept)."""
    token = _server_store().add_user(db, name, role, team)
    env = environment(ctx)
    _print_token(env, token)
    if role == "engineer" and not (team or "").strip():
        env.stderr.write(
            f"note: {name.strip()} has no team, so no supervisor reads their visits, "
            "only an admin\n"
        )


def user_list(ctx: typer.Context, db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the users, their roles and teams."""
    env = environment(ctx)
    users = _server_store().list_users(db)
    if as_json:
        rows = [
            {"name": user.name, "role": user.role, "team": user.team, "disabled": user.disabled}
            for user in users
        ]
        env.emit(SERVER_USERS, rows)
        return
    from fieldkit.ui.listings import users_table

    env.print_tables([users_table(users, env.language())])


def user_disable(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user whose token stops working.")],
    db: DbOption = None,
) -> None:
    """Disable a user: their token is refused from now on (401)."""
    _server_store().disable_user(db, name)
    environment(ctx).stderr.write(f"{name} is disabled\n")


def user_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user whose token is replaced.")],
    db: DbOption = None,
) -> None:
    """Give a user a new token (the old one stops working) and enable them; printed once."""
    _print_token(environment(ctx), _server_store().new_token_for(db, name))


def _print_token(env: Environment, token: str) -> None:
    env.stdout.write(token + "\n")
    env.stderr.write("keep this token now: the server keeps only its hash\n")


def checklists_publish(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE...", help="Checklist YAML files or folders.")
    ],
    db: DbOption = None,
) -> None:
    """Validate checklists as `checklists validate` does, then publish them all (or none)."""
    env = environment(ctx)
    for checklist_id, version, new in _server_store().publish_checklists(db, files):
        state = "published" if new else "already published"
        env.stderr.write(f"{checklist_id} {version}: {state}\n")


def sla_publish(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A service-levels sla.yaml.")],
    db: DbOption = None,
) -> None:
    """Validate a service-levels file as reports load data/sla.yaml, then publish it: the
    server's reports measure against it, and every laptop pulls it on sync."""
    version, new = _server_store().publish_sla(db, file)
    state = "published" if new else "already published"
    environment(ctx).stderr.write(f"service levels {version}: {state}\n")


def run_command(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port to listen on.")] = 8765,
    certfile: Annotated[
        Path | None, typer.Option("--certfile", help="TLS certificate (PEM), with --keyfile.")
    ] = None,
    keyfile: Annotated[
        Path | None, typer.Option("--keyfile", help="TLS private key (PEM), with --certfile.")
    ] = None,
) -> None:
    """Serve the API (OpenAPI at /docs) until stopped."""
    from fieldkit.errors import UserInputError

    store = _server_store()
    if (certfile is None) != (keyfile is None):
        raise UserInputError("--certfile and --keyfile go together")
    for option, path in (("--certfile", certfile), ("--keyfile", keyfile)):
        if path is not None and not path.is_file():
            raise UserInputError(f"{option} {path}: no such file")
    import uvicorn

    from fieldkit.server.app import Settings, create_app

    url = db or store.default_database_url()
    with store.open_engine(url) as engine:
        store.require_current_schema(engine)
    uvicorn.run(
        create_app(Settings(database_url=url)),
        host=host,
        port=port,
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
        log_level="warning",
    )
