"""Regenerate the `--help` blocks in the docs from the commands themselves.

docs/commands.md is written whole: one section per command, in the order of the command tree.
A block in any other docs/*.md page looks like this, and everything between the two markers
is rewritten from `fieldkit visits show --help` (100 columns, no colour):

    <!-- help: fieldkit visits show -->
    ```text
    ...
    ```
    <!-- /help -->

Run `.venv/bin/python tools/docs_help.py` after changing a command; tests/test_docs.py fails
while a block is stale (`--check` does the same here)."""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
REFERENCE = DOCS / "commands.md"
REFERENCE_INTRO = """\
# Command reference

Every command's `--help`, as `fieldkit` prints it at 100 columns. This page is generated:
after adding or changing a command run `.venv/bin/python tools/docs_help.py`;
`tests/test_docs.py` fails while it is stale. What the commands are for, with examples, is in
the other pages ([README](../README.md#read-more)).
"""
JSON_INTRO = """\
## JSON output

Every `--json` prints one JSON object on stdout, an envelope around the data:
`{"schema": "fieldkit.<kind>/<version>", "data": ...}`, where `data` is an object or a list as
below (messages and notes go to stderr). Check `schema` before reading `data`. A kind's
version goes up only when a field of its data goes away or changes meaning; new fields may
appear within a version, so read the fields you know and pass over the rest.

| schema | printed by | data |
|---|---|---|
"""
WIDTH = "100"
BLOCK = re.compile(
    r"(<!-- help: fieldkit(?P<command>[a-z -]*?) -->\n)(?P<body>.*?)(<!-- /help -->)",
    re.DOTALL,
)


def help_text(command: str) -> str:
    """`fieldkit COMMAND --help` as a reader sees it at 100 columns, without trailing blanks."""
    env = {**os.environ, "COLUMNS": WIDTH, "TERMINAL_WIDTH": WIDTH, "NO_COLOR": "1",
           "TERM": "dumb", "FIELDKIT_LANG": "en"}  # fmt: skip
    env.pop("FORCE_COLOR", None)
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", *command.split(), "--help"],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"fieldkit {command} --help failed: {done.stderr}")
    lines = [line.rstrip() for line in done.stdout.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines).rstrip() + "\n"


def block_body(command: str) -> str:
    return f"```text\n{help_text(command)}```\n"


def command_paths() -> list[str]:
    """Every command, groups included, as typed after `fieldkit` ("" for fieldkit itself)."""
    import typer.main

    sys.path.insert(0, str(REPO))
    from fieldkit.cli.app import build_app

    root = typer.main.get_command(build_app())
    context = root.make_context("fieldkit", [], resilient_parsing=True)
    paths: list[str] = []

    def walk(command: Any, path: list[str], context: Any) -> None:
        paths.append(" ".join(path))
        if hasattr(command, "list_commands"):
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                walk(sub, [*path, name], type(context)(sub, parent=context, info_name=name))

    walk(root, [], context)
    return paths


def reference_skeleton() -> str:
    sections = [
        f"## `{f'fieldkit {path}'.strip()}`\n\n"
        f"<!-- help: {f'fieldkit {path}'.strip()} -->\n<!-- /help -->\n"
        for path in command_paths()
    ]
    return REFERENCE_INTRO + "\n" + json_kinds() + "\n" + "\n".join(sections)


def json_kinds() -> str:
    """The `--json` envelope and a row per kind, from fieldkit.cli.output (the one list)."""
    sys.path.insert(0, str(REPO))
    from fieldkit.cli.output import KINDS

    rows = [
        f"| `{kind.schema}` | "
        + ", ".join(f"`fieldkit {command}`" for command in kind.commands)
        + f" | {kind.what} |\n"
        for kind in KINDS
    ]
    return JSON_INTRO + "".join(rows)


def regenerate(page: Path) -> str:
    """The page's text with every help block rewritten (commands.md: the whole page)."""
    text = reference_skeleton() if page == REFERENCE else page.read_text(encoding="utf-8")
    commands = [match.group("command") for match in BLOCK.finditer(text)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        bodies = dict(zip(commands, pool.map(block_body, commands), strict=True))
    return BLOCK.sub(lambda m: m.group(1) + bodies[m.group("command")] + m.group(4), text)


def stale_pages() -> list[Path]:
    with_blocks = [page for page in DOCS.glob("*.md") if BLOCK.search(page.read_text("utf-8"))]
    return [
        page for page in sorted({REFERENCE, *with_blocks})
        if not page.exists() or regenerate(page) != page.read_text(encoding="utf-8")
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say which pages are stale")
    args = parser.parse_args(argv)
    stale = stale_pages()
    if args.check:
        for page in stale:
            print(f"{page.relative_to(REPO)}: help blocks are stale")
        return 1 if stale else 0
    for page in stale:
        page.write_text(regenerate(page), encoding="utf-8")
        print(f"{page.relative_to(REPO)}: help blocks regenerated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
