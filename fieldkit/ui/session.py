"""`run` and `resume` put together: the checklist, the visit fields, a visit in progress
offered or chosen, the walk, the end and the exit code. The visit fields are asked in
visit_fields.py, the demo is demo.py.

The CLI parses options into a `RunRequest` and calls these; they prompt (through prompts.py)
only when the session is interactive: a terminal on stdin and no answers file. The console,
the clock and whether stdin is a terminal come from the CLI's Environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TextIO

from rich.console import Console

from fieldkit.checklist.handtyped import fold_width, is_plain_number
from fieldkit.errors import ExitCode, UserInputError
from fieldkit.lang import Lang
from fieldkit.records.models import VisitFields, VisitRecord
from fieldkit.records.store import RecordStore
from fieldkit.ui.prompts import Keyboard, QuitWalk, TerminalKeyboard, walk_interactively
from fieldkit.ui.texts import say
from fieldkit.ui.visit_fields import (
    VISIT_FIELDS,
    QuestionsBeforeTheWalk,
    VisitFieldQuestions,
    fields_for_kind,
    stopped_before_the_walk,
)
from fieldkit.ui.walk_screen import WalkScreen
from fieldkit.walk.answers_file import AnswersFile, AnswersFileError, walk_from_file
from fieldkit.walk.machine import PingFunction, Walkthrough


@dataclass
class RunRequest:
    """`fieldkit run` as the engineer typed it; None means not given."""

    checklist: str
    lang: Lang
    lang_given: bool = False  # --lang was typed: it also wins over a resumed visit's language
    records: Path | None = None
    checklists_dir: Path | None = None
    answers: Path | None = None
    customer: str | None = None
    site: str | None = None
    order: str | None = None
    order_type: str | None = None
    grade: str | None = None
    engineer: str | None = None


def real_ping() -> PingFunction:
    from fieldkit.ping import run_ping

    return run_ping


class SessionEnvironment(Protocol):
    """What a session takes from the run's Environment (fieldkit.cli.environment)."""

    @property
    def console(self) -> Console: ...
    @property
    def stderr(self) -> TextIO: ...
    @property
    def stdin_isatty(self) -> bool: ...
    @property
    def now(self) -> Callable[[], datetime]: ...


def _interactive(answers: Path | None, env: SessionEnvironment) -> bool:
    """Prompts are possible: no answers file and a terminal on stdin (else: nothing to ask on)."""
    if answers is not None:
        return False
    if not env.stdin_isatty:
        raise UserInputError("no terminal to ask on: give the answers with --answers FILE")
    return True


def run_visit(request: RunRequest, env: SessionEnvironment) -> int:
    """`fieldkit run`: start a visit (or resume the one in progress) and walk it."""
    from fieldkit.checklist.registry import open_checklist
    from fieldkit.paths import records_dir
    from fieldkit.walk.answers_file import load_answers_file
    from fieldkit.walk.visit import resume_walk, start_walk

    loaded = open_checklist(request.checklist, request.checklists_dir)
    answers = load_answers_file(request.answers) if request.answers else None
    if answers is not None:
        answers.check_steps(loaded.checklist)
    interactive = _interactive(request.answers, env)
    console = env.console
    keyboard = TerminalKeyboard(console)
    questions = VisitFieldQuestions(
        {name: getattr(request, name) for name in VISIT_FIELDS},
        lang=request.lang,
        answers=answers,
        answers_path=request.answers,
        keyboard=QuestionsBeforeTheWalk(keyboard, console, request.lang) if interactive else None,
        console=console,
    )
    # Who and for whom first: a visit in progress for this customer is offered before the
    # remaining fields are asked, so that resuming it asks nothing twice.
    questions.settle(("engineer", "customer"))
    store = RecordStore(records_dir(request.records), clock=env.now)
    ping = real_ping()

    unfinished = store.find_in_progress(loaded.checklist.id, questions.values["customer"])
    if unfinished:
        latest = unfinished[0]
        found = say(
            "in_progress_found",
            request.lang,
            customer=latest.customer,
            checklist=latest.checklist.id,
            visit=latest.visit_id,
            started=f"{latest.started_at:%Y-%m-%d %H:%M}",
            done=sum(1 for answer in latest.answers if answer.answered_at or answer.skipped),
            total=len(loaded.checklist.steps),
        )
        if questions.keyboard is not None:
            console.print(found)
            if questions.yes_or_no("ask_resume", "resume", default=True):
                lang = request.lang if request.lang_given else None
                walk = resume_walk(store, latest.visit_id, ping=ping, lang=lang, clock=env.now)
                return walk_to_the_end(walk, console, keyboard, answers, resumed=True)
        else:
            started_anew = say("started_anew", request.lang, visit=latest.visit_id)
            env.stderr.write(f"fieldkit: {found} {started_anew}\n")
    questions.settle(fields_for_kind(loaded.checklist.kind))
    fields = VisitFields(**questions.values)
    walk = start_walk(store, loaded, fields, ping=ping, lang=request.lang, clock=env.now)
    return walk_to_the_end(walk, console, keyboard if interactive else None, answers)


def resume_visit(
    visit: str | None,
    env: SessionEnvironment,
    *,
    lang: Lang | None,
    records: Path | None = None,
    answers_path: Path | None = None,
) -> int:
    """`fieldkit resume [VISIT]`: continue a visit in progress where its record stops, in the
    language it was started in unless `lang` (--lang) is given."""
    from fieldkit.lang import resolve_lang
    from fieldkit.paths import records_dir
    from fieldkit.walk.answers_file import load_answers_file
    from fieldkit.walk.visit import checklist_of, in_progress, resume_walk

    store = RecordStore(records_dir(records), clock=env.now)
    console = env.console
    keyboard = TerminalKeyboard(console)
    if visit is None:
        shown_in = lang or resolve_lang()
        asking = QuestionsBeforeTheWalk(keyboard, console, shown_in)
        visit = _choose_visit(
            in_progress(store), store, env.stdin_isatty, console, asking, shown_in
        )
    walk = resume_walk(store, visit, ping=real_ping(), lang=lang, clock=env.now)
    answers = None
    try:
        interactive = _interactive(answers_path, env)
        if answers_path is not None:
            answers = load_answers_file(answers_path)
            answers.check_steps(checklist_of(walk.record))
    except BaseException:
        walk.close()
        raise
    return walk_to_the_end(walk, console, keyboard if interactive else None, answers, resumed=True)


def _choose_visit(
    visits: list[VisitRecord],
    store: RecordStore,
    interactive: bool,
    console: Console,
    keyboard: Keyboard,
    lang: Lang,
) -> str:
    if not visits:
        raise UserInputError(f"no visit in progress in {store.root}")
    if not interactive:
        listed = ", ".join(record.visit_id for record in visits[:5])
        raise UserInputError(
            f"name the visit to resume: fieldkit resume ID (in progress: {listed})"
        )
    from fieldkit.ui.listings import resume_table

    table = resume_table(visits, lang, say("in_progress_title", lang))
    console.print(table)
    from fieldkit.ui.prompts import parse_command

    while True:
        text = fold_width(keyboard.ask(say("ask_which", lang), "which")).strip()
        if is_plain_number(text) and 1 <= int(text) <= len(visits):
            return visits[int(text) - 1].visit_id
        command = parse_command(text)
        if command is not None and command.name == "quit":
            raise stopped_before_the_walk(lang)
        console.print(say("refused", lang, reason=say("not_a_choice", lang)), style="red")


def walk_to_the_end(
    walk: Walkthrough,
    console: Console,
    keyboard: Keyboard | None,
    answers: AnswersFile | None,
    *,
    resumed: bool = False,
) -> int:
    """Walk to the end (or until the engineer quits), then the summary and the exit code."""
    screen = WalkScreen(console, walk)
    screen.header()
    if resumed:
        screen.message("resuming", "bold", visit=walk.record.visit_id)
        screen.answers_so_far()
    try:
        if answers is not None:
            walk_from_file(walk, answers, screen)
        else:
            assert keyboard is not None, "a walk needs answers or a keyboard"
            screen.commands()
            walk_interactively(walk, screen, keyboard)
        record = walk.finish()
    except QuitWalk:
        screen.message("quit", "bold", visit=walk.record.visit_id)
        return ExitCode.CANNOT_RUN
    except AnswersFileError as error:
        raise AnswersFileError(
            f"{error} (visit {error.visit_id} saved as in progress)", error.visit_id
        ) from None
    finally:
        walk.close()
    screen.summary(record, walk.handle.folder / "visit.json", steps_table=answers is None)
    achieved = record.outcome is not None and record.outcome.achieved
    return ExitCode.OK if achieved else ExitCode.FAILED
