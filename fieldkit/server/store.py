"""The server's database as the `fieldkit server` commands use it: where it is, whether its
schema is current, users and published checklists. No HTTP here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from fieldkit.errors import CannotRun, UserInputError
from fieldkit.paths import APP_NAME
from fieldkit.server import db, migrate
from fieldkit.server.auth import new_token


def default_database_url() -> str:
    """FIELDKIT_SERVER_DB, else SQLite in the user's data folder (a single office's server)."""
    env = os.environ.get("FIELDKIT_SERVER_DB")
    if env:
        return env
    from platformdirs import user_data_dir

    folder = Path(user_data_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'server.db'}"


@contextmanager
def open_engine(url: str | None) -> Iterator[Engine]:
    url = url or default_database_url()
    try:
        engine = db.make_engine(url)
    except Exception as error:  # SQLAlchemy's ArgumentError, a missing driver
        raise UserInputError(f"--db {url!r}: {error}") from None
    try:
        yield engine
    except OperationalError as error:
        raise CannotRun(f"the database {engine.url!r} is not reachable: {error.orig}") from None
    finally:
        engine.dispose()


def init(url: str | None) -> str:
    """Create or upgrade the schema; the version it is now at."""
    with open_engine(url) as engine:
        return migrate.upgrade(engine)


def require_current_schema(engine: Engine) -> None:
    if migrate.current(engine) != migrate.head():
        raise UserInputError(
            "the database's schema is not current: run `fieldkit server init --db URL` first"
        )


def add_user(url: str | None, name: str, role: str, team: str | None) -> str:
    """A new user; returns the token, which is not stored anywhere (only its hash)."""
    name = name.strip()
    if not name:
        raise UserInputError("NAME must not be empty")
    if role not in db.ROLES:
        raise UserInputError(f"--role {role!r}: expected one of {', '.join(db.ROLES)}")
    team = team.strip() if team else None
    if role == "supervisor" and not team:  # else they would read no one's visits but their own
        raise UserInputError("a supervisor reads the visits of their team: give --team TEAM")
    token = new_token()
    with open_engine(url) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            if db.user_exists(conn, name):
                raise UserInputError(f"a user named {name!r} exists already")
            db.add_user(conn, name, role, team or None, token)
    return token


def new_token_for(url: str | None, name: str) -> str:
    """Replace a user's token (lost, or leaked) and enable them; returns the new token."""
    token = new_token()
    with open_engine(url) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            if not db.replace_token(conn, name, token):
                raise UserInputError(f"no user named {name!r}")
    return token


def list_users(url: str | None) -> list[db.User]:
    with open_engine(url) as engine:
        require_current_schema(engine)
        with engine.connect() as conn:
            return db.list_users(conn)


def disable_user(url: str | None, name: str) -> None:
    with open_engine(url) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            if not db.disable_user(conn, name):
                raise UserInputError(f"no user named {name!r}")


def publish_checklists(url: str | None, files: list[Path]) -> list[tuple[str, str, bool]]:
    """Validate every file as `checklists validate` does, then publish them all or none;
    (id, version, newly published) for each."""
    from fieldkit.checklist.load import load_checklist
    from fieldkit.checklist.validation import check_checklists
    from fieldkit.errors import ValidationFailed

    check = check_checklists(files)
    if check.problems:
        raise ValidationFailed(check.problems)
    published: list[tuple[str, str, bool]] = []
    with open_engine(url) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            for path in check.files:
                loaded = load_checklist(path)
                checklist = loaded.checklist
                try:
                    new = db.publish_checklist(
                        conn, checklist.id, checklist.version, path.name, path.read_bytes()
                    )
                except ValueError as error:
                    raise UserInputError(f"{path}: {error}") from None
                published.append((checklist.id, checklist.version, new))
    return published


def publish_sla(url: str | None, path: Path) -> tuple[str, bool]:
    """Validate a service-levels file as reports load data/sla.yaml, then publish it (and
    measure every stored repair against it); (its version, newly published)."""
    from fieldkit.server import service_levels
    from fieldkit.sla import builtin_sla, load_sla
    from fieldkit.versions import version_key

    sla = load_sla(path)
    if sla.version is None:
        raise UserInputError(
            f'{path}: version: missing; publishing needs one (e.g. version: "2"), '
            "laptops keep the highest"
        )
    builtin = builtin_sla().version or ""
    if version_key(sla.version) <= version_key(builtin):
        raise UserInputError(
            f"{path}: version: {sla.version} is not above the built-in {builtin}; laptops would "
            "keep their built-in service levels"
        )
    with open_engine(url) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            current = service_levels.published(conn)
            if current is not None and version_key(sla.version) < version_key(current.version):
                raise UserInputError(
                    f"{path}: version: {sla.version} is below the published {current.version}"
                )
            try:
                new = service_levels.publish(conn, sla, path.read_bytes())
            except ValueError as error:
                raise UserInputError(f"{path}: {error}") from None
    return sla.version, new
