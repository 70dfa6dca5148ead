"""`run`, `resume` and `demo` put together: visit fields, the walk, the end, the exit code.

The CLI parses options into a `RunRequest` and calls these; they prompt (through prompts.py)
only when the session is interactive: a terminal on stdin and no answers file.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from fieldkit.errors import ExitCode, FieldkitError, UserInputError
from fieldkit.lang import Lang
from fieldkit.records.models import Grade, OrderType, VisitFields, VisitRecord
from fieldkit.records.store import RecordStore
from fieldkit.ui.prompts import Keyboard, QuitWalk, TerminalKeyboard, walk_interactively
from fieldkit.ui.texts import say
from fieldkit.ui.walk_screen import WalkScreen
from fieldkit.walk.answers_file import AnswersFile, AnswersFileError, walk_from_file
from fieldkit.walk.machine import PingFunction, Walkthrough


@dataclass
class RunRequest:
    """`fieldkit run` as the engineer typed it; None means not given."""

    checklist: str
    lang: Lang
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


def _console() -> Console:
    return Console(highlight=False)


def _interactive(answers: Path | None) -> bool:
    """Prompts are possible: no answers file and a terminal on stdin (else: nothing to ask on)."""
    if answers is not None:
        return False
    if not sys.stdin.isatty():
        raise UserInputError("no terminal to ask on: give the answers with --answers FILE")
    return True


class StoppedBeforeTheWalk(FieldkitError):
    """Ctrl-C or Ctrl-D at a question before the first step: nothing was recorded."""

    exit_code = ExitCode.CANNOT_RUN


class _QuestionsBeforeTheWalk:
    """The keyboard for the visit fields and for choosing a visit: Ctrl-C and Ctrl-D leave
    with one line and exit 3, as at a step (else Ctrl-D was Click's "Aborted.", exit 1)."""

    def __init__(self, keyboard: Keyboard, console: Console) -> None:
        self.keyboard = keyboard
        self.console = console

    def ask(self, prompt: str, key: str) -> str:
        try:
            return self.keyboard.ask(prompt, key)
        except (KeyboardInterrupt, EOFError):
            self.console.print()
            raise StoppedBeforeTheWalk(
                "stopped before the walk began: nothing was recorded"
            ) from None


def _note(message: str) -> None:
    sys.stderr.write(f"fieldkit: {message}\n")


def run_visit(request: RunRequest) -> int:
    """`fieldkit run`: start a visit (or resume the one in progress) and walk it."""
    from fieldkit.checklist.registry import open_checklist
    from fieldkit.paths import records_dir
    from fieldkit.walk.answers_file import load_answers_file
    from fieldkit.walk.visit import resume_walk, start_walk

    loaded = open_checklist(request.checklist, request.checklists_dir)
    answers = load_answers_file(request.answers) if request.answers else None
    if answers is not None:
        answers.check_steps(loaded.checklist)
    interactive = _interactive(request.answers)
    console = _console()
    keyboard = TerminalKeyboard(console)
    asking = _QuestionsBeforeTheWalk(keyboard, console)
    fields = _visit_fields(request, answers, interactive, asking)
    store = RecordStore(records_dir(request.records))
    ping = real_ping()

    unfinished = store.find_in_progress(loaded.checklist.id, fields.customer)
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
        if interactive:
            console.print(found)
            if asking.ask(say("ask_resume", request.lang), "resume").strip().casefold() in (
                "",
                "y",
                "yes",
                "是",
            ):
                walk = resume_walk(store, latest.visit_id, ping=ping, lang=request.lang)
                return _walk(walk, console, keyboard, answers, resumed=True)
        else:
            _note(
                f"{found} Starting a new visit; `fieldkit resume {latest.visit_id}` continues it."
            )
    walk = start_walk(store, loaded, fields, ping=ping, lang=request.lang)
    return _walk(walk, console, keyboard if interactive else None, answers)


def resume_visit(
    visit: str | None,
    *,
    lang: Lang,
    records: Path | None = None,
    answers_path: Path | None = None,
) -> int:
    """`fieldkit resume [VISIT]`: continue a visit in progress where its record stops."""
    from fieldkit.paths import records_dir
    from fieldkit.walk.answers_file import load_answers_file
    from fieldkit.walk.visit import checklist_of, in_progress, resume_walk

    store = RecordStore(records_dir(records))
    console = _console()
    keyboard = TerminalKeyboard(console)
    if visit is None:
        can_ask = sys.stdin.isatty()
        asking = _QuestionsBeforeTheWalk(keyboard, console)
        visit = _choose_visit(in_progress(store), store, can_ask, console, asking, lang)
    walk = resume_walk(store, visit, ping=real_ping(), lang=lang)
    answers = None
    try:
        interactive = _interactive(answers_path)
        if answers_path is not None:
            answers = load_answers_file(answers_path)
            answers.check_steps(checklist_of(walk.record))
    except BaseException:
        walk.close()
        raise
    return _walk(walk, console, keyboard if interactive else None, answers, resumed=True)


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
    while True:
        text = keyboard.ask(say("ask_which", lang), "which").strip()
        if text.isdigit() and 1 <= int(text) <= len(visits):
            return visits[int(text) - 1].visit_id
        console.print(say("refused", lang, reason=say("not_a_choice", lang)), style="red")


def _walk(
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
    return ExitCode.OK if record.failed_steps == [] else ExitCode.FAILED


# -- visit fields -----------------------------------------------------------------------------


def _visit_fields(
    request: RunRequest,
    answers: AnswersFile | None,
    interactive: bool,
    keyboard: Keyboard,
) -> VisitFields:
    """Options first, then the answers file, then the config (engineer); ask for the rest."""
    from fieldkit.config import load_config

    given: dict[str, Any] = dict(answers.visit) if answers else {}
    for name in ("customer", "site", "order", "order_type", "grade", "engineer"):
        value = getattr(request, name)
        if value is not None:
            given[name] = value
    if not given.get("engineer"):
        given["engineer"] = load_config().engineer
    values: dict[str, Any] = {}
    for name, kind in _FIELDS:
        value = given.get(name)
        value = None if value is None else str(value).strip() or None
        if value is None and interactive:
            value = _ask_field(name, kind, keyboard, request.lang)
        if value is None and name in _NEEDED:
            where = f" or `{name}:` in {request.answers}" if request.answers else ""
            article = "an" if name[0] in "aeiou" else "a"
            raise UserInputError(f"the visit needs {article} {name}: give --{name}{where}")
        try:
            values[name] = _labelled(kind, value, name) if kind and value else value
        except UserInputError as error:
            if answers is None or getattr(request, name) is not None:
                raise
            raise UserInputError(f"{answers.where(name)}: {error}") from None
    return VisitFields(**values)


_FIELDS: tuple[tuple[str, type[OrderType] | type[Grade] | None], ...] = (
    ("engineer", None),
    ("customer", None),
    ("site", None),
    ("order", None),
    ("order_type", OrderType),
    ("grade", Grade),
)
_NEEDED = ("engineer", "customer")


def _labelled(kind: type[OrderType] | type[Grade], value: str, name: str) -> Any:
    wanted = value.strip().casefold()
    for member in kind:
        names = {member.value, member.label.zh.casefold(), member.label.en.casefold()}
        if wanted in names:
            return member
    choices = ", ".join(member.value for member in kind)
    raise UserInputError(f"{name} {value!r} is not one of {choices}")


def _ask_field(
    name: str, kind: type[OrderType] | type[Grade] | None, keyboard: Keyboard, lang: Lang
) -> str | None:
    prompt = say(f"ask_{name}", lang)
    if kind is not None:
        prompt += " " + " / ".join(f"{member.value} {member.label.get(lang)}" for member in kind)
    while True:
        text = keyboard.ask(prompt, f"field:{name}").strip()
        if not text and name in _NEEDED:
            continue
        if text and kind is not None:
            try:
                _labelled(kind, text, name)
            except UserInputError as error:
                sys.stdout.write(f"{error}\n")
                continue
        return text or None


# -- the demo ---------------------------------------------------------------------------------

DEMO_ANSWERS: dict[str, Any] = {
    "data_team_ready": True,
    "customer_ip": "127.0.0.2",
    "subnet_mask": "255.0.0.0",
    "gateway": "127.0.0.1",
    "pigtail_number": "GJ-07/12",
    "pigtail_connector": "FC",
    "converter_power": True,
    "pigtail_on_odf": True,
    "pigtail_into_converter": True,
    "laptop_link": True,
    "customer_device": True,
}


class ScriptedKeyboard:
    """Types the demo's sample answers into the real screens, with a short pause for the eye."""

    def __init__(self, console: Console, answers: dict[str, Any], pause_s: float) -> None:
        self.console = console
        self.answers = answers
        self.pause_s = pause_s

    def ask(self, prompt: str, key: str) -> str:
        value = self.answers.get(key, "")
        if key.startswith("ping-failed:"):
            value = (
                "f"  # no network needed: a failed loopback ping is recorded and the demo goes on
            )
        text = ("y" if value else "n") if isinstance(value, bool) else str(value)
        time.sleep(self.pause_s)
        self.console.print(f"[bold]{prompt}[/] › [cyan]{text}[/]")
        return text


def demo_visit(records: Path, lang: Lang) -> tuple[VisitRecord, int]:
    """Walk the built-in LAN turn-up with sample answers, pinging 127.0.0.1 for real."""
    from fieldkit import yamlsafe
    from fieldkit.checklist.registry import open_checklist
    from fieldkit.walk.visit import start_walk

    console = _console()
    console.print(say("demo_records", lang, folder=records))
    console.print(say("demo_loopback", lang, gateway=DEMO_ANSWERS["gateway"]), style="yellow")
    store = RecordStore(records)
    fields = VisitFields(
        engineer="李工 (demo)",
        customer="深圳某银行 (demo)",
        site="福田区深南大道 1 号",
        order="DEMO-0001",
        order_type=OrderType.NEW,
        grade=Grade.LOCAL_A,
    )
    walk = start_walk(store, open_checklist("lan-turnup"), fields, ping=real_ping(), lang=lang)
    if console.is_terminal:
        keyboard: Keyboard | None = ScriptedKeyboard(console, DEMO_ANSWERS, pause_s=0.15)
        answers = None
    else:
        import json

        keyboard = None
        loaded = yamlsafe.parse_yaml(json.dumps(DEMO_ANSWERS), "demo answers", as_json=True)
        answers = AnswersFile(loaded, answers=dict(DEMO_ANSWERS))
    code = _walk(walk, console, keyboard, answers)
    return walk.record, code
