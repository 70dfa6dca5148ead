"""CLI commands: `checklists list|show|validate|schema`, `data validate` and `tools`.

Only typer and light standard modules are imported at module level (this module loads for
every command, `fieldkit --version` included); the core, pydantic and Rich are imported inside
the commands that need them. `list` loads Rich only to draw on a terminal (piped, it writes
tab-separated lines), and the checklist models only for files whose bytes changed since the
last listing (Typer 0.29 itself imports pydantic to parse any option, which sets the floor of
every command but `--version`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fieldkit.cli.environment import Environment, environment
from fieldkit.cli.options import ChecklistsDirOption, JsonOption, LangOption
from fieldkit.cli.output import CHECKLIST, CHECKLISTS, TOOLS, write_json

if TYPE_CHECKING:
    from fieldkit.checklist.models import AnyStep, Checklist
    from fieldkit.checklist.validation import FileCheck
    from fieldkit.lang import Lang


NameArgument = Annotated[str, typer.Argument(metavar="ID|PATH", help="A checklist id or file.")]


def register(app: typer.Typer) -> None:
    """Add `checklists ...` and `tools` to the root app."""
    group = typer.Typer(
        name="checklists",
        help="Find, show and validate checklists.",
        no_args_is_help=True,
    )
    group.command("list")(list_checklists)
    group.command("show")(show_checklist)
    group.command("validate")(validate_checklists)
    group.command("schema")(print_schema)
    app.add_typer(group)
    app.command("tools")(show_tools)
    data = typer.Typer(
        name="data",
        help="Check the data files: service levels, ping outcomes.",
        no_args_is_help=True,
    )
    data.command("validate")(validate_data)
    app.add_typer(data)


def list_checklists(
    ctx: typer.Context,
    checklists: ChecklistsDirOption = None,
    lang: LangOption = None,
    as_json: JsonOption = False,
) -> None:
    """List every checklist on the search path: id, kind, version, title, where it comes from."""
    from fieldkit.checklist.registry import list_checklists as find

    env = environment(ctx)
    entries = find(checklists)
    if as_json:
        env.emit(CHECKLISTS, [entry.to_json() for entry in entries])
        return
    from fieldkit.ui.listings import checklists_table

    env.print_tables([checklists_table(entries, env.language(lang))])
    invalid = [entry for entry in entries if not entry.valid]
    for entry in invalid:
        env.stderr.write(
            f"fieldkit: {entry.path} is invalid ({len(entry.problems)} problem(s)): "
            f"run `fieldkit checklists validate {entry.path}`\n"
        )


def show_checklist(
    ctx: typer.Context,
    name: NameArgument,
    lang: LangOption = None,
    as_json: JsonOption = False,
    checklists: ChecklistsDirOption = None,
) -> None:
    """Show a checklist's steps as a tree: types, conditions, lights, ranges, on-fail advice."""
    from fieldkit.checklist.registry import open_checklist

    env = environment(ctx)
    loaded = open_checklist(name, checklists)
    if as_json:
        dumped = loaded.checklist.model_dump(mode="json", by_alias=True, exclude_none=True)
        env.emit(CHECKLIST, dumped)
        return
    console = env.console
    console.print(_checklist_tree(loaded.checklist, env.language(lang), console.width))


_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "when": "条件",
        "optional": "可选",
        "lights": "指示灯",
        "range": "量程",
        "expect": "合格",
        "warn": "理想",
        "choices": "选项",
        "pass": "合格项",
        "if_no": "若否",
        "stop": "不可继续",
        "go_on": "可继续",
        "tools": "工具",
        "pattern": "格式",
        "max_length": "最长",
        "accept": "文件类型",
        "ping": "ping",
        "mask": "掩码",
        "slow": "慢",
        "slow_warns": "通过并提示",
        "slow_fails": "不通过",
    },
    "en": {
        "when": "when",
        "optional": "optional",
        "lights": "lights",
        "range": "range",
        "expect": "expect",
        "warn": "warn",
        "choices": "choices",
        "pass": "passing",
        "if_no": "if no",
        "stop": "visit cannot go on",
        "go_on": "visit can go on",
        "tools": "tools",
        "pattern": "pattern",
        "max_length": "max length",
        "accept": "accepts",
        "ping": "ping",
        "mask": "mask",
        "slow": "slow",
        "slow_warns": "passes with a warning",
        "slow_fails": "fails",
    },
}


# Cells taken by the tree's guides in front of a step (`├── `) and of a step's details.
_STEP_INDENT = 4
_DETAIL_INDENT = 8


def _checklist_tree(checklist: Checklist, lang: Lang, width: int) -> Any:
    from rich.markup import escape
    from rich.text import Text as Block
    from rich.tree import Tree

    from fieldkit.cells import wrap_cells

    def block(text: str, style: str, indent: int) -> Block:
        # Wrapped here rather than by Rich, which cuts Chinese anywhere (inside `LNK`, before 。).
        return Block("\n".join(wrap_cells(text, width - indent)), style=style)

    words = _LABELS[lang]
    tree = Tree(
        f"[bold]{escape(checklist.title.get(lang))}[/bold]  "
        f"[dim]{checklist.id} v{escape(checklist.version)} · {checklist.kind}[/dim]"
    )
    tree.add(block(checklist.description.get(lang), "dim", _STEP_INDENT))
    if checklist.tools:
        tree.add(
            f"{words['tools']}: {len(checklist.tools)}  [dim](fieldkit tools {checklist.id})[/dim]"
        )
    for number, step in enumerate(checklist.steps, start=1):
        record_input = getattr(step, "input", None)
        kind = f"{step.type}/{record_input}" if record_input else step.type
        optional = f" [yellow]({words['optional']})[/yellow]" if not step.required else ""
        node = tree.add(
            f"[bold]{number}. {escape(step.title.get(lang))}[/bold]{optional}  "
            f"[dim]{step.id} · {kind}[/dim]"
        )
        for style, text in _step_details(step, lang):
            node.add(block(text, style, _DETAIL_INDENT))
    return tree


def _step_details(step: AnyStep, lang: Lang) -> list[tuple[str, str]]:
    """(style, text) lines under a step: its condition first, then what its type defines."""
    from fieldkit.checklist.conditions import describe
    from fieldkit.checklist.models import (
        AttachmentStep,
        CheckStep,
        ChoiceRecord,
        InstructionStep,
        NumberRecord,
        PingStep,
        SerialRecord,
        TextRecord,
    )
    from fieldkit.checklist.numbers import format_number

    words = _LABELS[lang]
    lines: list[tuple[str, str]] = []
    if step.when is not None:
        lines.append(("cyan", f"{words['when']}: {describe(step.when, lang)}"))
    if step.help is not None:
        lines.append(("dim", step.help.get(lang)))
    if isinstance(step, InstructionStep) and step.lights:
        lights = ", ".join(
            f"{light.name.get(lang)} {light.state_label(lang)}"
            + (f" ({light.colour.get(lang)})" if light.colour else "")
            for light in step.lights
        )
        lines.append(("green", f"{words['lights']}: {lights}"))
    if isinstance(step, CheckStep) and step.on_fail is not None:
        going = words["go_on"] if step.on_fail.can_continue else words["stop"]
        lines.append(("red", f"{words['if_no']}: {step.on_fail.guidance.get(lang)} ({going})"))
    if isinstance(step, NumberRecord):
        unit = f" {step.unit}" if step.unit else ""

        def band(low: float | None, high: float | None) -> str:
            shown = [
                format_number(v, typographic=True) if v is not None else "…" for v in (low, high)
            ]
            return f"{shown[0]}..{shown[1]}{unit}"

        parts = []
        if step.min is not None or step.max is not None:
            parts.append(f"{words['range']} {band(step.min, step.max)}")
        for key, limits in (("expect", step.expect), ("warn", step.warn)):
            if limits is not None:
                parts.append(f"{words[key]} {band(limits.min, limits.max)}")
        if parts:
            lines.append(("", "; ".join(parts)))
        elif unit:
            lines.append(("", unit.strip()))
    if isinstance(step, ChoiceRecord):
        options = ", ".join(
            _choice_text(choice.value, choice.label_in(lang)) for choice in step.choices
        )
        lines.append(("", f"{words['choices']}: {options}"))
        if step.expect:
            lines.append(("", f"{words['pass']}: {', '.join(step.labels_in(step.expect, lang))}"))
    if isinstance(step, SerialRecord):
        lines.append(("", f"{words['pattern']}: {step.pattern}"))
    if isinstance(step, TextRecord) and step.max_length:
        lines.append(("", f"{words['max_length']}: {step.max_length}"))
    if isinstance(step, AttachmentStep) and step.accept:
        lines.append(("", f"{words['accept']}: {', '.join(step.accept)}"))
    if isinstance(step, PingStep):
        mask = f" ({words['mask']} {step.mask})" if step.mask else ""
        lines.append(
            (
                "",
                f"{words['ping']} {step.target}{mask}: count {step.count}, "
                f"timeout {format_number(step.timeout_s)} s, {words['slow']} ≥ "
                f"{format_number(step.slow_ms)} ms "
                f"({words['slow_fails' if step.slow_fails else 'slow_warns']}), size {step.size}",
            )
        )
    return lines


def _choice_text(value: str, label: str) -> str:
    """`FC`, `FC (to be seated on the ODF tray)`, or `g (group)`: the value always shows."""
    return label if label.startswith(value) else f"{value} ({label})"


def validate_checklists(
    ctx: typer.Context,
    targets: Annotated[
        list[Path], typer.Argument(metavar="PATH...", help="Checklist files or folders.")
    ],
) -> None:
    """Check checklist files: one `file:line:col: message` line per problem; exit 2 if any."""
    from fieldkit.checklist.validation import check_checklists

    _report(environment(ctx), check_checklists(targets), "checklist")


def validate_data(
    ctx: typer.Context,
    targets: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH...]",
            help="sla.yaml / ping_outcomes.yaml files or folders (default: the built-in data).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check data files, each against its own model: file:line:col problems, exit 2 if any."""
    from fieldkit.data_files import check_data

    _report(environment(ctx), check_data(targets), "data")


def _report(env: Environment, check: FileCheck, what: str) -> None:
    """Problem lines on stdout, the count on stderr and exit 2; or one `ok` line."""
    from fieldkit.errors import ExitCode

    for problem in check.problems:
        env.stdout.write(problem + "\n")
    if check.problems:
        env.stderr.write(
            f"{len(check.problems)} problem(s) in {check.failed_files} of "
            f"{len(check.files)} file(s)\n"
        )
        raise typer.Exit(ExitCode.BAD_INPUT)
    env.stdout.write(f"ok: {len(check.files)} {what} file(s) valid\n")


def print_schema(ctx: typer.Context) -> None:
    """Print the JSON Schema of the checklist language, for editors (docs/checklist-language.md)."""
    from fieldkit.checklist.schema import checklist_json_schema

    write_json(checklist_json_schema(), environment(ctx).stdout)


def show_tools(
    ctx: typer.Context,
    name: NameArgument,
    lang: LangOption = None,
    as_json: JsonOption = False,
    checklists: ChecklistsDirOption = None,
) -> None:
    """Print a checklist's packing list with quantities, ready to tick off."""
    from fieldkit.checklist.registry import open_checklist

    env = environment(ctx)
    checklist = open_checklist(name, checklists).checklist
    if as_json:
        env.emit(
            TOOLS,
            {
                "id": checklist.id,
                "title": checklist.title.model_dump(),
                "tools": [
                    tool.model_dump(mode="json", exclude_none=True) for tool in checklist.tools
                ],
            }
        )
        return
    chosen = env.language(lang)
    if not checklist.tools:
        env.stderr.write(f"fieldkit: checklist {checklist.id} lists no tools\n")
        return
    lines = [f"{checklist.title.get(chosen)} ({checklist.id})"]
    for tool in checklist.tools:
        line = f"[ ] {tool.quantity} × {tool.name.get(chosen)}"
        if tool.note is not None:
            line += f"  ({tool.note.get(chosen)})"
        lines.append(line)
    env.stdout.write("\n".join(lines) + "\n")
