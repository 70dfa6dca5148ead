"""`fieldkit server init|user|checklists` against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from cli_runner import invoke, json_payload

from fieldkit.server import db, tables

REPO = Path(__file__).resolve().parent.parent


def test_init_users_and_tokens(database_url: str) -> None:
    assert invoke("server", "user", "list", "--db", database_url).exit_code == 2  # no schema yet
    first = invoke("server", "init", "--db", database_url)
    assert first.exit_code == 0, first.output
    assert invoke("server", "init", "--db", database_url).exit_code == 0  # idempotent
    added = invoke("server", "user", "add", "李工", "--role", "engineer", "--team", "north",
                   "--db", database_url)  # fmt: skip
    assert added.exit_code == 0, added.output
    token = added.stdout.strip()
    assert token.startswith("fk_") and len(token) > 40
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        user = db.user_for_token(conn, token)
        stored = [row.token_hash for row in conn.execute(tables.users.select())]
    engine.dispose()
    assert user is not None and (user.name, user.role, user.team) == ("李工", "engineer", "north")
    assert token not in stored and db.token_hash(token) in stored  # only the hash is kept

    twice = invoke("server", "user", "add", "李工", "--role", "admin", "--db", database_url)
    assert twice.exit_code == 2 and "exists already" in twice.stderr
    bad_role = invoke("server", "user", "add", "王工", "--role", "boss", "--db", database_url)
    assert bad_role.exit_code == 2 and "--role" in bad_role.stderr

    assert invoke("server", "user", "disable", "李工", "--db", database_url).exit_code == 0
    listed = json_payload(invoke("server", "user", "list", "--json", "--db", database_url).stdout,
                          "fieldkit.server-users/1")
    assert listed == [{"name": "李工", "role": "engineer", "team": "north", "disabled": True}]
    piped = invoke("server", "user", "list", "--db", database_url)  # a header, as every table
    assert piped.stdout == "name\trole\tteam\tdisabled\n李工\tengineer\tnorth\tyes\n"
    assert invoke("server", "user", "disable", "nobody", "--db", database_url).exit_code == 2

    renewed = invoke("server", "user", "token", "李工", "--db", database_url)
    assert renewed.exit_code == 0, renewed.output
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        assert db.user_for_token(conn, token) is None
        user = db.user_for_token(conn, renewed.stdout.strip())
    engine.dispose()
    assert user is not None and not user.disabled


def test_publish_validates_like_checklists_validate(database_url: str, tmp_path: Path) -> None:
    invoke("server", "init", "--db", database_url)
    broken = REPO / "tests" / "broken_checklists" / "bad_regex.yaml"
    good = REPO / "checklists" / "lan-turnup.yaml"
    refused = invoke(
        "server", "checklists", "publish", str(good), str(broken), "--db", database_url
    )
    assert refused.exit_code == 2
    assert "bad_regex.yaml:" in refused.stderr
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        assert db.published_checklists(conn) == []  # all or none
    published = invoke("server", "checklists", "publish", str(good), "--db", database_url)
    assert published.exit_code == 0 and "published" in published.stderr
    again = invoke("server", "checklists", "publish", str(good), "--db", database_url)
    assert "already published" in again.stderr
    changed = tmp_path / "lan-turnup.yaml"
    changed.write_bytes(good.read_bytes() + b"\n# a comment changes the file\n")
    clash = invoke("server", "checklists", "publish", str(changed), "--db", database_url)
    assert clash.exit_code == 2 and "raise its version" in clash.stderr
    with engine.connect() as conn:
        assert db.checklist_content(conn, "lan-turnup", "1.1") == good.read_bytes()
    engine.dispose()


def test_the_cli_starts_without_loading_the_server() -> None:
    code = (
        "import sys; from fieldkit.cli.app import build_app; build_app(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'sqlalchemy', 'alembic', 'uvicorn', 'psycopg')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_a_supervisor_needs_a_team_and_a_teamless_engineer_is_told_who_reads_them(
    database_url: str,
) -> None:
    """A supervisor added without --team read no one's visits, in silence: 0 over --server."""
    invoke("server", "init", "--db", database_url)
    refused = invoke("server", "user", "add", "王主管", "--role", "supervisor",
                     "--db", database_url)  # fmt: skip
    assert refused.exit_code == 2
    assert refused.stderr == (
        "fieldkit: error: a supervisor reads the visits of their team: give --team TEAM\n"
    )
    blank = invoke("server", "user", "add", "王主管", "--role", "supervisor", "--team", " ",
                   "--db", database_url)  # fmt: skip
    assert blank.exit_code == 2 and "--team" in blank.stderr
    assert json_payload(invoke("server", "user", "list", "--json", "--db", database_url).stdout,
                        "fieldkit.server-users/1") == []

    engineer = invoke("server", "user", "add", "李工", "--role", "engineer", "--db", database_url)
    assert engineer.exit_code == 0, engineer.output
    assert engineer.stdout.startswith("fk_")
    assert "no team" in engineer.stderr and "only an admin" in engineer.stderr
    admin = invoke("server", "user", "add", "ops", "--role", "admin", "--db", database_url)
    assert admin.exit_code == 0 and "no team" not in admin.stderr
