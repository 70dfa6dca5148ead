"""The docs stay findable and true: the README is a short front door, every link lands, every
command and option is explained, the `--help` blocks are what the commands print, and every
benchmark figure is quoted once, on the benchmarks page (sqlite-utils' test_docs.py, for Typer)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from fieldkit.cli.app import build_app

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
import docs_help  # noqa: E402 - tools/ is not a package

README = REPO / "README.md"
DOC_PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]
REFERENCE = REPO / "docs" / "commands.md"  # generated from --help
MANUAL = {page: page.read_text(encoding="utf-8") for page in DOC_PAGES if page != REFERENCE}
BENCHMARKS = REPO / "docs" / "benchmarks.md"
# A measured figure: a decimal with a unit of time, size or ratio (2.32 s, 1.18 ms, 0.30×).
MEASURED = re.compile(r"(?<![\w.])\d+\.\d+ ?(?:ms|µs|s|MB|KB|GB|×)(?![\w])")
# Settings the pages state, not measurements: --quick's interval, a reader's memory limit.
SETTINGS = {"0.2 s", "1.5 GB"}
FENCED_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)
HTML_ANCHOR = re.compile(r'<a (?:id|name)="([^"]+)"')
LINK = re.compile(r"\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    prose = FENCED_BLOCK.sub("", page.read_text(encoding="utf-8"))
    return {github_anchor(heading) for heading in HEADING.findall(prose)} | set(
        HTML_ANCHOR.findall(prose)
    )


def test_readme_is_a_short_front_door() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move detail into docs/"


def test_readme_quick_start_is_the_two_make_targets() -> None:
    text = README.read_text(encoding="utf-8")
    assert "```sh\nmake demo\nmake test\n```" in text


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda page: page.name)
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor in {linked.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def commands() -> dict[str, list[tuple[str, ...]]]:
    """Every command path ("" for fieldkit itself, "visits show", ...) and, for a command that
    runs (not a group), the names of each of its options."""
    root = typer.main.get_command(build_app())
    context = root.make_context("fieldkit", [], resilient_parsing=True)
    found: dict[str, list[tuple[str, ...]]] = {}

    def walk(command: Any, path: list[str], context: Any) -> None:
        options = [tuple(param.opts) for param in command.params
                   if param.param_type_name == "option" and "--help" not in param.opts]
        found[" ".join(path)] = options
        if hasattr(command, "list_commands"):
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                walk(sub, [*path, name], type(context)(sub, parent=context, info_name=name))

    walk(root, [], context)
    return found


LEAF_COMMANDS = {path: options for path, options in commands().items()
                 if path and not any(other.startswith(f"{path} ") for other in commands())}


def test_every_command_has_a_help_block_in_the_command_reference() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    blocks = {match.group("command").strip() for match in docs_help.BLOCK.finditer(text)}
    assert blocks == set(commands()), (
        "docs/commands.md: run `.venv/bin/python tools/docs_help.py` "
        f"(missing {sorted(set(commands()) - blocks)}, gone {sorted(blocks - set(commands()))})"
    )


def test_help_blocks_are_what_the_commands_print() -> None:
    stale = [str(page.relative_to(REPO)) for page in docs_help.stale_pages()]
    assert not stale, f"{stale}: run `.venv/bin/python tools/docs_help.py` and commit the result"


@pytest.mark.parametrize("command", sorted(LEAF_COMMANDS))
def test_every_command_and_option_is_explained_in_the_manual(command: str) -> None:
    """Beyond its --help: the command is named on a page of docs/ (the README's one-line table
    does not count), and each of its options appears, by one of its names, on such a page."""
    pages = [text for page, text in MANUAL.items()
             if page != README and f"fieldkit {command}" in text]  # fmt: skip
    assert pages, f"`fieldkit {command}` appears on no page of the manual"
    unexplained = [
        names[-1] for names in LEAF_COMMANDS[command]
        if not any(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
                   for name in names for text in pages)
    ]  # fmt: skip
    assert not unexplained, f"fieldkit {command}: {unexplained} not explained where it is named"


def test_every_benchmark_figure_is_quoted_once_on_the_benchmarks_page() -> None:
    """A measured figure (2.32 s, 1.18 ms, 0.30×) is stated on docs/benchmarks.md and nowhere
    else in the prose; sample output in a code block is not a figure."""
    assert MEASURED.findall(BENCHMARKS.read_text(encoding="utf-8")), "no figure on the page?"
    elsewhere = {
        page.name: sorted(set(MEASURED.findall(FENCED_BLOCK.sub("", text))) - SETTINGS)
        for page, text in MANUAL.items() if page != BENCHMARKS
    }  # fmt: skip
    assert not any(elsewhere.values()), f"quote these in docs/benchmarks.md only: {elsewhere}"
