"""CLI commands: `visits list|show|abort|bundle|schema`.

Only typer and the standard library are imported at module level; the records core (pydantic)
and Rich are imported inside the commands.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fieldkit.cli.environment import Environment, environment
from fieldkit.cli.options import JsonOption, LangOption, RecordsOption
from fieldkit.cli.output import BUNDLE, VISITS, write_json

if TYPE_CHECKING:
    from fieldkit.records.store import RecordStore


class StatusChoice(str, Enum):
    in_progress = "in_progress"
    completed = "completed"
    aborted = "aborted"


class ShowFormat(str, Enum):
    text = "text"
    md = "md"
    html = "html"
    json = "json"


VisitArgument = Annotated[
    str, typer.Argument(metavar="ID", help="A visit id, or a unique start or end of one.")
]


def register(app: typer.Typer) -> None:
    """Add `visits ...` to the root app."""
    group = typer.Typer(
        name="visits",
        help="List, show, abort and bundle visit records.",
        no_args_is_help=True,
    )
    group.command("list")(list_visits)
    group.command("show")(show_visit)
    group.command("abort")(abort_visit)
    group.command("bundle")(bundle_visits)
    group.command("schema")(print_schema)
    app.add_typer(group)


def _store(env: Environment, records: Path | None) -> RecordStore:
    from fieldkit.records.store import RecordStore

    return RecordStore(env.records(records))


def _warn(env: Environment, message: str) -> None:
    env.stderr.write(f"fieldkit: warning: {message}\n")


def list_visits(
    ctx: typer.Context,
    status: Annotated[
        StatusChoice | None, typer.Option("--status", help="Only visits with this status.")
    ] = None,
    records: RecordsOption = None,
    lang: LangOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the visits in the records folder, newest first."""
    from fieldkit.errors import in_one_line
    from fieldkit.records.models import VisitStatus, verify_digest
    from fieldkit.sync.state import SyncState

    env = environment(ctx)
    store = _store(env, records)
    wanted = VisitStatus(status.value) if status else None
    found = list(
        store.iter_records(
            wanted, on_error=lambda error: _warn(env, f"skipped: {in_one_line(error)}")
        )
    )
    sync_state = SyncState.load(store.root)
    synced = sync_state.synced_visits()
    if as_json:
        env.emit(
            VISITS,
            [
                {
                    "visit_id": r.visit_id,
                    "checklist_id": r.checklist.id,
                    "checklist_version": r.checklist.version,
                    "engineer": r.engineer,
                    "customer": r.customer,
                    "site": r.site,
                    "order": r.order,
                    "order_type": r.order_type,
                    "grade": r.grade,
                    "started_at": r.started_at.isoformat(),
                    "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                    "status": r.status.value,
                    "outcome": r.outcome.value if r.outcome else None,
                    "failed_steps": r.failed_steps,
                    "findings": r.findings,
                    "answers": len(r.answers),
                    "digest_ok": verify_digest(r) if r.digest else None,
                    "synced": r.digest is not None and synced.get(r.visit_id) == r.digest,
                    "path": str(store.visit_dir(r.visit_id)),
                }
                for r in found
            ]
        )
        return
    if not found:
        env.stderr.write(f"no visits in {store.root}\n")
        return
    from fieldkit.ui.listings import visits_table

    # The synced column appears once this laptop has synced with a centre (`fieldkit sync`).
    shown_synced = synced if sync_state.servers else None
    env.print_tables([visits_table(found, env.language(lang), shown_synced)])


def show_visit(
    ctx: typer.Context,
    visit: VisitArgument,
    output_format: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="text, md, html (printable) or json.")
    ] = ShowFormat.text,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout."),
    ] = None,
    records: RecordsOption = None,
    lang: LangOption = None,
) -> None:
    """Show one visit as entered: every step, notes, attachments and ping attempts."""
    from fieldkit.records.render import render_html, render_markdown
    from fieldkit.records.view import visit_view

    env = environment(ctx)
    store = _store(env, records)
    if output is not None:
        _check_output(env, output, store)
    record = store.load(visit)
    chosen = env.language(lang)
    if output_format is ShowFormat.text:
        from fieldkit.ui.visit import visit_screen, visit_text

        view = visit_view(record, chosen)
        if output is None:
            env.console.print(visit_screen(view))
            return
        text = visit_text(view)
    elif output_format is ShowFormat.json:
        text = record.model_dump_json(indent=2) + "\n"
    elif output_format is ShowFormat.md:
        text = render_markdown(record, chosen)
    else:
        text = render_html(record, chosen)
    if output is None:
        env.stdout.write(text)
        return
    _write_output(output, text.encode("utf-8"))
    env.stderr.write(f"wrote {output}\n")


def _check_output(env: Environment, output: Path, store: RecordStore) -> None:
    """The shared rule for `-o FILE` (safeio.check_output_path), with the records folder."""
    from fieldkit.safeio import check_output_path

    check_output_path(output, [store.root, env.records()])


def _write_output(output: Path, data: bytes) -> None:
    """`-o FILE` written whole and owner-only; an unwritable place is one line, exit 2."""
    from fieldkit.errors import UserInputError
    from fieldkit.safeio import write_private

    try:
        write_private(output, data)
    except OSError as error:
        raise UserInputError(f"cannot write {output}: {error.strerror or error}") from None


def abort_visit(
    ctx: typer.Context,
    visit: VisitArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why the visit ends unfinished.")],
    records: RecordsOption = None,
) -> None:
    """End a visit in progress as aborted, with the reason (it can no longer be resumed)."""
    env = environment(ctx)
    record = _store(env, records).abort(visit, reason)
    env.stderr.write(f"visit {record.visit_id} aborted\n")


def bundle_visits(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE.zip", help="The zip to write.")
    ],
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="DATE", help="Only visits started on or after DATE (YYYY-MM-DD)."
        ),
    ] = None,
    records: RecordsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Zip the completed visits and follow-up closures with a manifest of their digests, for a
    supervisor."""
    from datetime import date

    from fieldkit.bundle import write_bundle
    from fieldkit.errors import UserInputError

    env = environment(ctx)
    start: date | None = None
    if since is not None:
        try:
            start = date.fromisoformat(since)
        except ValueError:
            raise UserInputError(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
    result = write_bundle(_store(env, records), output, start)
    for where, problem in result.problems:
        _warn(env, f"{where}: {problem}")
    if as_json:
        env.emit(
            BUNDLE,
            {
                "path": str(result.path),
                "visits": result.visit_ids,
                "closed_followups": result.closed_items,
                "problems": [{"where": w, "problem": p} for w, p in result.problems],
            }
        )
    else:
        env.stderr.write(
            f"wrote {result.path}: {len(result.visit_ids)} completed visits, "
            f"{len(result.closed_items)} follow-up closures\n"
        )


def print_schema(ctx: typer.Context) -> None:
    """Print the JSON Schema of visit.json."""
    from fieldkit.records.models import VisitRecord

    write_json(VisitRecord.model_json_schema(), environment(ctx).stdout)
