"""CLI commands: `run`, `resume` and `demo`, the walkthrough at the customer site.

Only typer and the standard library at module level; the walk, the store and Rich are
imported inside the commands (fieldkit/ui/session.py and demo.py do the work).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fieldkit.cli.environment import environment
from fieldkit.cli.options import ChecklistsDirOption, LangOption, RecordsOption

AnswersOption = Annotated[
    Path | None,
    typer.Option(
        "--answers",
        metavar="FILE",
        help="Take the answers from a YAML or JSON file (step id: answer, plus visit fields); "
        "no prompts.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add `run`, `resume` and `demo` to the root app."""
    app.command("run")(run_checklist)
    app.command("resume")(resume)
    app.command("demo")(demo)


def run_checklist(
    ctx: typer.Context,
    checklist: Annotated[
        str,
        typer.Argument(metavar="CHECKLIST", help="A checklist id (e.g. lan-turnup) or a file."),
    ],
    customer: Annotated[str | None, typer.Option(help="The customer's name.")] = None,
    site: Annotated[str | None, typer.Option(help="The site or address.")] = None,
    order: Annotated[str | None, typer.Option(help="The work-order number.")] = None,
    order_type: Annotated[
        str | None,
        typer.Option(
            "--order-type",
            metavar="ID",
            help="Order type: its id or name in the service levels (data/sla.yaml).",
        ),
    ] = None,
    grade: Annotated[
        str | None,
        typer.Option(
            metavar="ID",
            help="Customer grade: its id or name in the service levels (data/sla.yaml).",
        ),
    ] = None,
    engineer: Annotated[
        str | None, typer.Option(help="Your name (default: `engineer:` in the config file).")
    ] = None,
    lang: LangOption = None,
    records: RecordsOption = None,
    answers: AnswersOption = None,
    checklists: ChecklistsDirOption = None,
) -> None:
    """Walk a checklist at the customer site, step by step, into a visit record.

    At any prompt: back, skip, note TEXT, attach PATH, help, quit (Ctrl-C too).
    Exit codes: 0 completed and it did what it was for (turn-up or packing passed, repair
    restored, inspection or customer visit completed, findings or not), 1 completed but a
    turn-up or packing failed or a repair is not restored, 2 bad input, 3 left in progress.
    """
    from fieldkit.ui.session import RunRequest, run_visit

    env = environment(ctx)
    request = RunRequest(
        checklist=checklist,
        lang=env.language(lang),
        lang_given=lang is not None,
        records=env.records(records),
        checklists_dir=checklists,
        answers=answers,
        customer=customer,
        site=site,
        order=order,
        order_type=order_type,
        grade=grade,
        engineer=engineer,
    )
    raise typer.Exit(run_visit(request, env))


def resume(
    ctx: typer.Context,
    visit: Annotated[
        str | None,
        typer.Argument(metavar="[VISIT]", help="A visit id (or a unique part); default: ask."),
    ] = None,
    answers: AnswersOption = None,
    records: RecordsOption = None,
    lang: LangOption = None,
) -> None:
    """Continue a visit in progress where it stopped (without VISIT: choose from a list).

    The walk goes on in the language the visit was started in, unless --lang is given.
    """
    from fieldkit.ui.session import resume_visit

    env = environment(ctx)
    chosen = env.language(lang) if lang else None
    raise typer.Exit(
        resume_visit(visit, env, lang=chosen, records=env.records(records), answers_path=answers)
    )


def demo(
    ctx: typer.Context,
    records: RecordsOption = None,
    lang: LangOption = None,
) -> None:
    """Walk the LAN turn-up with sample answers, pinging 127.0.0.1, then show the record.

    Needs no network, no root and no input. Its visits go to the demo folder (printed first;
    the same one every time, apart from real records) unless --records is given.
    """
    from fieldkit.cli.visits import show_visit
    from fieldkit.paths import demo_records_dir
    from fieldkit.ui.demo import demo_visit
    from fieldkit.ui.texts import say

    env = environment(ctx)
    folder = records or demo_records_dir()
    shown_lang = env.language(lang)
    record, code = demo_visit(folder, shown_lang, env)
    env.stdout.write("\n")
    show_visit(ctx, record.visit_id, records=folder, lang=lang)
    quoted = f'"{folder}"' if " " in str(folder) else str(folder)
    report = say("demo_report", shown_lang, command=f"fieldkit report summary {quoted}")
    env.stdout.write(f"\n{report}\n")
    raise typer.Exit(code)
