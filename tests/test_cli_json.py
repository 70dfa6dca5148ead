"""Every `--json` prints the one envelope, `{"schema": "fieldkit.<kind>/<n>", "data": ...}`, with
the kind docs/commands.md lists for that command; a new command with `--json` must join them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from cli_runner import invoke
from followups_support import team

from fieldkit.cli.app import build_app
from fieldkit.cli.output import KINDS, Kind

REPO = Path(__file__).resolve().parent.parent
SCHEMA = re.compile(r"fieldkit\.[a-z]+(?:-[a-z]+)*/[1-9][0-9]*")
KIND_OF = {command: kind for kind in KINDS for command in kind.commands}


def walk_commands(root: Any) -> list[tuple[list[str], Any]]:
    """Every command of a Click tree with its path ([] for fieldkit itself)."""
    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, path: list[str], context: Any) -> None:
        found.append((path, command))
        if hasattr(command, "list_commands"):
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                walk(sub, [*path, name], type(context)(sub, parent=context, info_name=name))

    walk(root, [], root.make_context("fieldkit", [], resilient_parsing=True))
    return found


def commands_with_json() -> set[str]:
    """Walk the Typer app: every command path that has a `--json` option."""
    return {
        " ".join(path)
        for path, command in walk_commands(typer.main.get_command(build_app()))
        if any("--json" in param.opts for param in command.params)
    }


def test_every_json_command_has_exactly_one_kind() -> None:
    assert commands_with_json() == set(KIND_OF), "list the command in fieldkit/cli/output.py"
    assert len(KIND_OF) == sum(len(kind.commands) for kind in KINDS)
    assert len({kind.schema for kind in KINDS}) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_every_kind_is_of_the_documented_form_and_listed_in_the_reference(kind: Kind) -> None:
    assert SCHEMA.fullmatch(kind.schema), kind.schema
    reference = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    assert f"| `{kind.schema}` |" in reference


@pytest.fixture(scope="module")
def laptop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | None]:
    """A records folder with follow-ups, a settings file and empty checklist folders."""
    home = tmp_path_factory.mktemp("laptop")
    records = team(home / "records")
    return {
        "FIELDKIT_RECORDS": str(home / "records"),
        "FIELDKIT_CONFIG": str(home / "config.yaml"),
        "FIELDKIT_USER_CHECKLISTS": str(home / "checklists"),
        "FIELDKIT_CACHE": str(home / "cache"),
        "FIELDKIT_CHECKLISTS": None,
        "FIELDKIT_LANG": "en",
        "INSPECTION": records["inspection"].visit_id,
    }


def run_json(command: str, args: list[str], env: dict[str, str | None]) -> Any:
    """Run `fieldkit ARGS --json`; the envelope it printed (any exit code: a verdict is data)."""
    result = invoke(*args, "--json", env=env)
    assert result.stdout, f"{args}: nothing on stdout ({result.exit_code}): {result.stderr}"
    document = json.loads(result.stdout)
    assert list(document) == ["schema", "data"], list(document)
    assert SCHEMA.fullmatch(document["schema"])
    assert document["schema"] == KIND_OF[command].schema
    return document["data"]


def test_local_commands_print_their_kind(laptop: dict[str, str | None], tmp_path: Path) -> None:
    transcript = REPO / "tests" / "transcripts" / "linux-iputils-ok.txt"
    cases = {
        "checklists list": ["checklists", "list"],
        "checklists show": ["checklists", "show", "lan-turnup"],
        "tools": ["tools", "lan-turnup"],
        # An address that is no address: the verdict is certain before anything is sent.
        "ping test": ["ping", "test", "300.1.1.1"],
        "ping interpret": ["ping", "interpret", str(transcript)],
        "visits list": ["visits", "list"],
        "visits bundle": ["visits", "bundle", "-o", str(tmp_path / "bundle.zip")],
        "report summary": ["report", "summary", str(laptop["FIELDKIT_RECORDS"])],
        "followups list": ["followups", "list"],
        "followups close": ["followups", "close", f"{laptop['INSPECTION']}#problems_found-1",
                            "--note", "replaced", "--by", "王工"],
    }
    data = {command: run_json(command, args, laptop) for command, args in cases.items()}
    assert data["ping test"]["verdict"] == "invalid_target"
    assert data["ping interpret"]["verdict"] == "ok"
    assert {entry["id"] for entry in data["checklists list"]} >= {"lan-turnup"}
    assert data["checklists show"]["id"] == data["tools"]["id"] == "lan-turnup"
    assert len(data["visits list"]) == 5 and len(data["visits bundle"]["visits"]) == 3
    assert data["report summary"]["summary"]["totals"]["visits"] == 5
    assert data["followups close"]["note"] == "replaced"
    assert len(data["followups list"]) == 6


def test_server_commands_print_their_kind(
    laptop: dict[str, str | None], tmp_path: Path
) -> None:
    pytest.importorskip("fastapi")
    from server_support import prepare_database, serving

    url = f"sqlite:///{tmp_path / 'server.db'}"
    tokens = prepare_database(url)
    users = run_json("server user list", ["server", "user", "list", "--db", url], laptop)
    assert {user["name"] for user in users} == set(tokens)
    with serving(url) as server:
        pushed = run_json("sync", ["sync", "--server", server, "--token", tokens["admin"]],
                          laptop)  # fmt: skip
    assert pushed["user"] == "admin"


def test_the_cli_built_for_one_command_helps_and_fails_as_the_whole_cli() -> None:
    """run_app builds only the top-level command argv names (start-up); what every command's
    --help and a mistyped subcommand print must not change for it."""
    from typer.testing import CliRunner

    whole = build_app()
    paths = [path for path, _ in walk_commands(typer.main.get_command(whole)) if path]
    assert len(paths) > 30
    for argv in [[*path, "--help"] for path in paths] + [[paths[0][0], "no-such-command"]]:
        alone = CliRunner().invoke(build_app(argv), argv, prog_name="fieldkit")
        together = CliRunner().invoke(whole, argv, prog_name="fieldkit")
        assert (alone.exit_code, alone.output) == (together.exit_code, together.output), argv
