"""CLI commands: `report summary` (a terminal dashboard) and `report export` (csv/xlsx/html/json).

Only typer and the standard library are imported at module level; the report core and Rich
are imported inside the commands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fieldkit.cli.environment import Environment, environment
from fieldkit.cli.options import (
    ChecklistOption,
    CustomerOption,
    EngineerOption,
    GradeOption,
    JsonOption,
    KindOption,
    LangChoice,
    LangOption,
    OutcomeOption,
    RemoteServerOption,
    SinceOption,
    StatusOption,
    TokenOption,
    UntilOption,
)
from fieldkit.cli.output import REPORT_SUMMARY

if TYPE_CHECKING:
    from fieldkit.lang import Lang
    from fieldkit.records.sources import SourceReport
    from fieldkit.report.filters import Filters
    from fieldkit.report.pipeline import ReportOptions


class Format(str, Enum):
    csv = "csv"
    xlsx = "xlsx"
    html = "html"
    json = "json"


class Level(str, Enum):
    visit = "visit"
    step = "step"
    followup = "followup"
    satisfaction = "satisfaction"


OptionalSourcesArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="[SOURCE...]",
        help="Record folders (searched recursively) and bundle zips, in any mix; none with "
        "--server.",
        show_default=False,
    ),
]
IncludeChangedOption = Annotated[
    bool,
    typer.Option(
        "--include-changed",
        help="Keep records whose digest or bundle manifest entry does not match (noted).",
    ),
]
SlaOption = Annotated[
    Path | None,
    typer.Option(
        "--sla", metavar="FILE",
        help="Service levels file (default: the centre's, pulled by sync, when newer than the "
        "built-in data/sla.yaml).",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add `report summary` and `report export` to the root app."""
    group = typer.Typer(
        name="report",
        help="Supervisor reports: KPIs of many engineers' visit records, and exports.",
        no_args_is_help=True,
    )
    group.command("summary")(summary_command)
    group.command("export")(export_command)
    app.add_typer(group)


def _files_to_read(
    sources: list[Path] | None, server: str | None, *, include_changed: bool, sla: Path | None
) -> list[Path] | None:
    """The SOURCE files the report reads, or None when it asks the centre's server (`--server`),
    after refusing what applies to files only."""
    from fieldkit.errors import UserInputError

    if server is None:
        if not sources:
            raise UserInputError("give at least one SOURCE (a records folder or a bundle zip), "
                                 "or --server URL")  # fmt: skip
        return sources
    if sources:
        raise UserInputError("give SOURCE folders or --server, not both")
    if include_changed or sla is not None:
        raise UserInputError("--include-changed and --sla apply to files; the server keeps "
                             "only unchanged records and its own service levels")  # fmt: skip
    return None


def _filters(
    *, since: str | None, until: str | None, engineer: list[str] | None,
    checklist: list[str] | None, kind: list[str] | None, status: list[str] | None,
    outcome: list[str] | None, grade: list[str] | None, customer: str | None,
) -> Filters:  # fmt: skip
    from fieldkit.report.filters import Filters

    return Filters.from_options(
        since=since, until=until, engineers=engineer or (), checklists=checklist or (),
        kinds=kind or (), statuses=status or (), outcomes=outcome or (), grades=grade or (),
        customer=customer,
    )  # fmt: skip


def _options(
    env: Environment, sources: list[Path], filters: Filters, *, include_changed: bool,
    lang: LangChoice | None, sla: Path | None,
) -> ReportOptions:  # fmt: skip
    from fieldkit.records.sources import check_sources
    from fieldkit.report.pipeline import ReportOptions
    from fieldkit.sla import report_sla

    check_sources(sources)
    return ReportOptions(
        sources=sources,
        filters=filters,
        include_changed=include_changed,
        lang=env.language(lang),
        today=env.today(),
        sla=report_sla(sla),
    )


@contextmanager
def _progress(
    env: Environment, sources: list[Path], lang: Lang
) -> Iterator[Callable[[int], None] | None]:
    """A Rich progress bar on stderr while records are read; nothing when stderr is no terminal."""
    if not env.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from fieldkit.records.sources import count_record_files
    from fieldkit.text import Text

    total = count_record_files(sources)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=env.error_console,
        transient=True,
    ) as progress:
        task = progress.add_task(
            Text(zh="正在读取记录", en="reading records").get(lang), total=total
        )

        def advance(done: int) -> None:
            if done % 200 == 0 or done == total:
                progress.update(task, completed=done)

        yield advance


def summary_command(
    ctx: typer.Context,
    sources: OptionalSourcesArgument = None,
    since: SinceOption = None,
    until: UntilOption = None,
    engineer: EngineerOption = None,
    checklist: ChecklistOption = None,
    kind: KindOption = None,
    status: StatusOption = None,
    outcome: OutcomeOption = None,
    grade: GradeOption = None,
    customer: CustomerOption = None,
    include_changed: IncludeChangedOption = False,
    lang: LangOption = None,
    sla: SlaOption = None,
    as_json: JsonOption = False,
    server: RemoteServerOption = None,
    token: TokenOption = None,
) -> None:
    """Show the KPIs: visits, first-time pass, ping verdicts, failing steps, on-site time,
    repairs within their time limit, open follow-ups and a table per engineer."""
    from fieldkit.report.pipeline import summarize

    env = environment(ctx)
    files = _files_to_read(sources, server, include_changed=include_changed, sla=sla)
    filters = _filters(
        since=since, until=until, engineer=engineer, checklist=checklist, kind=kind,
        status=status, outcome=outcome, grade=grade, customer=customer,
    )  # fmt: skip
    if files is None:
        _server_summary(env, server, token, filters, lang, as_json)
        return
    options = _options(env, files, filters, include_changed=include_changed, lang=lang, sla=sla)
    with _progress(env, files, options.lang) as on_file:
        options.on_file = on_file
        result = summarize(options)
    if as_json:
        env.emit(REPORT_SUMMARY,
                 {"summary": result.summary.to_json(), "sources": result.sources.to_json()})
    else:
        from fieldkit.ui.report import print_summary

        print_summary(result.summary, options.lang, env.console)
    print_source_notes(env, result.sources)


def _server_summary(
    env: Environment, server: str | None, token: str | None, filters: Filters,
    lang: LangChoice | None, as_json: bool,
) -> None:  # fmt: skip
    """`report summary --server`: the centre computes the same figures in SQL."""
    from fieldkit.sync.login import resolve_login
    from fieldkit.sync.reports import fetch_summary, summary_from_json

    shown = env.language(lang)
    data = fetch_summary(resolve_login(server, token), filters, shown, env.today())
    if as_json:
        env.emit(REPORT_SUMMARY, data)
        return
    from fieldkit.ui.report import print_summary

    print_summary(summary_from_json(data["summary"]), shown, env.console)


def _server_export(
    env: Environment, server: str | None, token: str | None, filters: Filters, fmt: str,
    output: Path, level: str, redact: bool, lang: LangChoice | None,
) -> None:  # fmt: skip
    """`report export --server`: the centre writes the file from its store."""
    from fieldkit.safeio import check_output_path
    from fieldkit.sync.login import resolve_login
    from fieldkit.sync.reports import download_export

    check_output_path(output, [env.records()])
    download_export(resolve_login(server, token), filters, fmt=fmt, level=level, redact=redact,
                    lang=env.language(lang), today=env.today(), output=output)  # fmt: skip
    env.stderr.write(f"fieldkit: wrote the centre's report to {output} ({fmt})\n")


def export_command(
    ctx: typer.Context,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="The file format.", show_default=False)
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="FILE", help="The file to write.")
    ],
    sources: OptionalSourcesArgument = None,
    level: Annotated[
        Level,
        typer.Option(
            "--level",
            help="CSV rows: one per visit, per answer or per follow-up item, or the "
            "satisfaction shares (overall, per engineer, per month).",
        ),
    ] = Level.visit,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact", help="Mask customer names, contacts, addresses and IP addresses."
        ),
    ] = False,
    since: SinceOption = None,
    until: UntilOption = None,
    engineer: EngineerOption = None,
    checklist: ChecklistOption = None,
    kind: KindOption = None,
    status: StatusOption = None,
    outcome: OutcomeOption = None,
    grade: GradeOption = None,
    customer: CustomerOption = None,
    include_changed: IncludeChangedOption = False,
    lang: LangOption = None,
    sla: SlaOption = None,
    server: RemoteServerOption = None,
    token: TokenOption = None,
) -> None:
    """Write the visits and KPIs to a CSV, XLSX, HTML or JSON file."""
    from fieldkit.report.pipeline import export

    env = environment(ctx)
    files = _files_to_read(sources, server, include_changed=include_changed, sla=sla)
    filters = _filters(
        since=since, until=until, engineer=engineer, checklist=checklist, kind=kind,
        status=status, outcome=outcome, grade=grade, customer=customer,
    )  # fmt: skip
    if files is None:
        _server_export(env, server, token, filters, fmt.value, output, level.value, redact,
                       lang)  # fmt: skip
        return
    options = _options(env, files, filters, include_changed=include_changed, lang=lang, sla=sla)
    with _progress(env, files, options.lang) as on_file:
        options.on_file = on_file
        result = export(options, fmt.value, output, level=level.value, redact=redact)
    print_source_notes(env, result.sources)
    env.stderr.write(
        f"fieldkit: wrote {result.sources.visits_kept} visits to {output} ({fmt.value})\n"
    )


def print_source_notes(env: Environment, sources: SourceReport) -> None:
    """The reading notes on stderr: each kept note, then the counts."""
    for note in sources.notes:
        env.stderr.write(f"fieldkit: {note.kind.value}: {note.where}: {note.message}\n")
    counts = {kind.value: count for kind, count in sources.counts.items() if count}
    if counts:
        shown = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))
        env.stderr.write(f"fieldkit: {sources.files_read} record files read; notes: {shown}\n")
    if sources.visits_kept == 0 and sources.filtered_out:
        env.stderr.write(
            f"fieldkit: no visit matched the filters ({sources.filtered_out} left out by them)\n"
        )
