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
from rich.text import Text as RichText

from fieldkit.checklist.handtyped import fold_width, is_plain_number
from fieldkit.errors import ExitCode, FieldkitError, UserInputError
from fieldkit.lang import Lang
from fieldkit.records.models import Grade, OrderType, VisitFields, VisitRecord
from fieldkit.records.store import RecordStore
from fieldkit.text import name_problem
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


def _stopped() -> StoppedBeforeTheWalk:
    return StoppedBeforeTheWalk("stopped before the walk began: nothing was recorded")


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
            raise _stopped() from None


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
    questions = _VisitFieldQuestions(
        request, answers, _QuestionsBeforeTheWalk(keyboard, console) if interactive else None
    )
    # Who and for whom first: a visit in progress for this customer is offered before the
    # remaining fields are asked, so that resuming it asks nothing twice.
    questions.settle(("engineer", "customer"))
    store = RecordStore(records_dir(request.records))
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
                walk = resume_walk(store, latest.visit_id, ping=ping, lang=lang)
                return _walk(walk, console, keyboard, answers, resumed=True)
        else:
            _note(
                f"{found} Starting a new visit; `fieldkit resume {latest.visit_id}` continues it."
            )
    questions.settle(_fields_for_kind(loaded.checklist.kind))
    fields = VisitFields(**questions.values)
    walk = start_walk(store, loaded, fields, ping=ping, lang=request.lang)
    return _walk(walk, console, keyboard if interactive else None, answers)


def resume_visit(
    visit: str | None,
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

    store = RecordStore(records_dir(records))
    console = _console()
    keyboard = TerminalKeyboard(console)
    if visit is None:
        can_ask = sys.stdin.isatty()
        asking = _QuestionsBeforeTheWalk(keyboard, console)
        shown_in = lang or resolve_lang()
        visit = _choose_visit(in_progress(store), store, can_ask, console, asking, shown_in)
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
    from fieldkit.ui.prompts import parse_command

    while True:
        text = fold_width(keyboard.ask(say("ask_which", lang), "which")).strip()
        if is_plain_number(text) and 1 <= int(text) <= len(visits):
            return visits[int(text) - 1].visit_id
        command = parse_command(text)
        if command is not None and command.name == "quit":
            raise _stopped()
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
    achieved = record.outcome is not None and record.outcome.achieved
    return ExitCode.OK if achieved else ExitCode.FAILED


# -- visit fields -----------------------------------------------------------------------------

_CHOICE_FIELDS: dict[str, type[OrderType] | type[Grade]] = {
    "order_type": OrderType,
    "grade": Grade,
}
_NEEDED = ("engineer", "customer")
# Which checklist kinds a field is asked for: an order type (开通/移机/拆机/改参) is a turn-up's,
# a customer grade every customer's. Given as an option or in a file, a field is kept anyway.
_ASKED_FOR_KINDS: dict[str, frozenset[str]] = {
    "order_type": frozenset({"turnup"}),
    "grade": frozenset({"turnup", "inspection", "visit", "repair"}),
}


def _fields_for_kind(kind: str) -> tuple[str, ...]:
    """The visit fields after engineer and customer, as they apply to a checklist kind."""
    return tuple(
        name
        for name in ("site", "order", "order_type", "grade")
        if kind in _ASKED_FOR_KINDS.get(name, frozenset({kind}))
    )


class _Back(Exception):
    """`back` at a visit-field question: ask the one before it again."""


class _VisitFieldQuestions:
    """The visit fields: options first, then the answers file, then the config (engineer); the
    rest are asked when there is a keyboard. `settle` fills `values` a group at a time."""

    def __init__(
        self, request: RunRequest, answers: AnswersFile | None, keyboard: Keyboard | None
    ) -> None:
        from fieldkit.config import load_config

        self.request = request
        self.answers = answers
        self.keyboard = keyboard
        self.lang = request.lang
        self.console = _console()
        self.given: dict[str, Any] = dict(answers.visit) if answers else {}
        for name in ("customer", "site", "order", "order_type", "grade", "engineer"):
            value = getattr(request, name)
            if value is not None:
                self.given[name] = value
        if not self.given.get("engineer"):
            self.given["engineer"] = load_config().engineer
        self.values: dict[str, Any] = {}

    def settle(self, names: tuple[str, ...]) -> None:
        """Every field of `names` from what was given, else asked (`back` re-asks the one
        before); a missing needed field without a keyboard is an error."""
        asked = [name for name in names if self._given(name) is None]
        for name in names:
            if name not in asked:
                self.values[name] = self._checked(name, self._given(name))
        index = 0
        while index < len(asked):
            name = asked[index]
            try:
                value = self._ask(name) if self.keyboard is not None else None
            except _Back:
                index = max(0, index - 1)
                continue
            if value is None and name in _NEEDED:
                where = f" or `{name}:` in {self.request.answers}" if self.request.answers else ""
                article = "an" if name[0] in "aeiou" else "a"
                raise UserInputError(f"the visit needs {article} {name}: give --{name}{where}")
            try:
                self.values[name] = self._checked(name, value)
            except UserInputError as refused:  # e.g. a name of zero-width characters only
                self._say("refused", "red", reason=str(refused))
                continue
            index += 1

    def yes_or_no(self, key: str, ask_key: str, *, default: bool) -> bool:
        """A yes/no question before the walk (`是`, `对`, `好`, `不`...); Enter is `default`."""
        from fieldkit.checklist.answers import AnswerError, parse_yes_no
        from fieldkit.ui.prompts import parse_command

        assert self.keyboard is not None
        while True:
            text = self.keyboard.ask(say(key, self.lang), ask_key).strip()
            command = parse_command(text)
            if command is not None and command.name == "quit":
                raise _stopped()
            if not text:
                return default
            try:
                return parse_yes_no(text)
            except AnswerError as refused:
                self._say("refused", "red", reason=refused.reason.get(self.lang))

    def _given(self, name: str) -> str | None:
        value = self.given.get(name)
        return None if value is None else str(value).strip() or None

    def _checked(self, name: str, value: str | None) -> Any:
        kind = _CHOICE_FIELDS.get(name)
        if value is None:
            return value
        try:
            if kind is None:
                problem = name_problem(value)
                if problem is not None:
                    raise UserInputError(f"{name} {problem}")
                return value
            return _labelled(kind, value, name, self.lang)
        except UserInputError as error:
            if self.answers is None or getattr(self.request, name) is not None:
                raise
            raise UserInputError(f"{self.answers.where(name)}: {error}") from None

    def _say(self, key: str, style: str = "", **values: Any) -> None:
        self.console.print(RichText(say(key, self.lang, **values), style=style))

    def _ask(self, name: str) -> str | None:
        """One field asked until it is answered, left empty (when it may be), or `back`."""
        from fieldkit.ui.prompts import parse_command, typed_answer

        assert self.keyboard is not None
        kind = _CHOICE_FIELDS.get(name)
        if kind is not None:  # the choices, numbered, on their own line (it wraps at 80 columns)
            self.console.print(
                "  ".join(
                    f"{number}) {member.label.get(self.lang)}"
                    for number, member in enumerate(list[Any](kind), start=1)
                ),
                highlight=False,
            )
        while True:
            text = self.keyboard.ask(say(f"ask_{name}", self.lang), f"field:{name}")
            command = parse_command(text)
            if command is not None:
                if command.name == "quit":
                    raise _stopped()
                if command.name == "back":
                    raise _Back()
                if command.name == "skip" and name not in _NEEDED:
                    return None
                self._say(f"why_{name}" if command.name == "skip" else "field_commands", "yellow")
                continue
            text = typed_answer(text).strip()
            if not text:
                if name in _NEEDED:
                    self._say(f"why_{name}", "yellow")  # asked again: say why
                    continue
                return None
            if kind is not None:
                try:
                    _labelled(kind, text, name, self.lang)
                except UserInputError as error:
                    self._say("refused", "red", reason=str(error))
                    continue
            return text


def _labelled(kind: type[OrderType] | type[Grade], value: str, name: str, lang: Lang) -> Any:
    """The member named by its id, its label (zh or en) or its number in the list."""
    wanted = fold_width(value).strip().casefold()
    members: list[Any] = list(kind)
    for member in members:
        names = {member.value, member.label.zh.casefold(), member.label.en.casefold()}
        if wanted in names:
            return member
    if is_plain_number(wanted) and 1 <= int(wanted) <= len(members):
        return members[int(wanted) - 1]
    if lang == "zh":
        choices = "、".join(
            f"{number} {member.label.zh}" for number, member in enumerate(members, start=1)
        )
        raise UserInputError(f"{say(f'field_{name}', 'zh')}“{value}”不是可选项：{choices}")
    choices = ", ".join(member.value for member in members)
    raise UserInputError(f"{name} {value!r} is not one of {choices} (or 1..{len(members)})")


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
