"""The interactive walk: ask each step, understand the in-prompt commands, show what happened.

At any prompt, in English or Chinese: `back`/`返回`/`上一步`, `skip`/`跳过`,
`note TEXT`/`备注 TEXT`, `attach PATH`/`附件 PATH`, `help`/`帮助`, `quit`/`退出` (Ctrl-C,
Ctrl-D). A command word is never stored as an answer; an answer that really is one is typed
after a backslash (`\\跳过`).
Input comes through a `Keyboard`, so that the demo can type its sample answers into the very
same screens an engineer sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rich.console import Console

from fieldkit.checklist.answers import AnswerError, followup_due, parse_answer
from fieldkit.checklist.handtyped import dragged_path, fold_width
from fieldkit.checklist.judging import AnswerValue, display_answer
from fieldkit.checklist.models import AnyStep, DateRecord, FollowupsStep, PingStep, RecordStep
from fieldkit.errors import FieldkitError
from fieldkit.records.atomic import SaveFailed
from fieldkit.safeio import has_surrogate
from fieldkit.ui.walk_screen import WalkScreen
from fieldkit.walk.answers_file import tell_notices
from fieldkit.walk.machine import Position, Walkthrough

# Each command and the words that call it; the first is its name.
COMMAND_WORDS: dict[str, tuple[str, ...]] = {
    "back": ("back", "返回", "上一步"),
    "skip": ("skip", "跳过"),
    "note": ("note", "备注"),
    "attach": ("attach", "附件"),
    "help": ("help", "帮助", "?"),
    "quit": ("quit", "退出"),
}
_COMMAND_OF_WORD = {word: name for name, words in COMMAND_WORDS.items() for word in words}
ESCAPE = "\\"


class Keyboard(Protocol):
    """Where answers come from: the engineer's terminal, or the demo's script."""

    def ask(self, prompt: str, key: str) -> str:
        """One line of input. `key` says what is asked (a step id, `ping:ID`...)."""
        ...


class TerminalKeyboard:
    """Reads lines from the terminal through Rich (Ctrl-C raises KeyboardInterrupt, Ctrl-D EOF)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def ask(self, prompt: str, key: str) -> str:
        while True:
            text = self.console.input(f"[bold]{prompt}[/] › ")
            # stdin keeps bytes it cannot decode (cli/console_encoding.py): GBK typed at a
            # UTF-8 terminal would reach a record that cannot be written as UTF-8.
            if not has_surrogate(text):
                return text
            self.console.print(
                "[red]输入的不是有效文字：请把终端设为 UTF-8 / not readable text: bytes in "
                "another encoding (set the terminal to UTF-8)[/]"
            )


class QuitWalk(Exception):
    """The engineer chose to leave; everything confirmed is saved."""


@dataclass(frozen=True)
class Command:
    name: str
    argument: str


def parse_command(text: str) -> Command | None:
    """`note rack is full`, `备注 机柜已满`, `备注：机柜已满` -> Command("note", "..."); `跳过` ->
    Command("skip", ""); an answer (or an escaped command word, `\\跳过`) -> None."""
    line = text.strip()
    head = fold_width(line[:8]).casefold()  # `ＳＫＩＰ` and `？` typed in full width
    for word, name in _COMMAND_OF_WORD.items():
        if not head.startswith(word):
            continue
        rest = line[len(word) :]
        # No spaces in Chinese: `备注机柜已满` is a note; `跳过了两次`, `附件齐全` and `backup`
        # are answers.
        glued = word == "备注"
        if rest and not (rest[0].isspace() or rest[0] in ":：" or glued):
            continue
        return Command(name, rest.strip().lstrip(":：").strip())
    return None


def typed_answer(text: str) -> str:
    """What is stored for a line that is not a command: a leading backslash before a command
    word is removed (`\\跳过` answers 跳过)."""
    stripped = text.strip()
    if stripped.startswith(ESCAPE) and parse_command(stripped[1:]) is not None:
        return stripped[1:]
    return text


def walk_interactively(walk: Walkthrough, screen: WalkScreen, keyboard: Keyboard) -> None:
    """Ask until every step is done; raises QuitWalk when the engineer leaves."""
    try:
        while True:
            tell_notices(walk, screen)
            position = walk.current()
            if position is None:
                return
            screen.step(position)
            if isinstance(position.step, PingStep):
                _ping_step(walk, screen, keyboard, position)
            else:
                _answer_step(walk, screen, keyboard, position)
    except (KeyboardInterrupt, EOFError):
        screen.console.print()
        raise QuitWalk() from None


def _answer_step(
    walk: Walkthrough, screen: WalkScreen, keyboard: Keyboard, position: Position
) -> None:
    """Ask one step until it is answered, skipped, or the engineer moves away."""
    step = position.step
    if walk.failed_check() is not None and _after_failed_check(walk, screen, keyboard):
        return  # resumed at a failed check: settled without asking it again
    while True:
        text = keyboard.ask(screen.prompt_text(step), step.id)
        try:
            command = parse_command(text)
            if command is not None:
                if _run_command(walk, screen, keyboard, position, command):
                    return
                continue
            if not text.strip() and position.revisiting:
                walk.keep(step.id)
                screen.message("kept", "green")
                return
            raw: AnswerValue = typed_answer(text)
            if isinstance(step, FollowupsStep):
                raw = _ask_followups(walk, screen, keyboard, step, first=text)
            elif isinstance(step, RecordStep):
                _show_how_it_is_read(walk, screen, step, str(raw))
            judgement = walk.answer(step.id, raw)
            screen.judged(step, judgement)
            if walk.failed_check() is None or _after_failed_check(walk, screen, keyboard):
                return
        except AnswerError as refused:
            screen.refused(refused.reason.get(walk.lang))
        except SaveFailed as failed:
            screen.message("save_failed", "bold red", error=str(failed))


def _show_how_it_is_read(
    walk: Walkthrough, screen: WalkScreen, step: AnyStep, typed: str
) -> None:
    """Before it is saved: a date in ISO form (`5月1日` is this year's 1 May), and any reading
    that is stored otherwise than typed (`１０.２０.３０.５`, `26度`, a choice's number)."""
    value = parse_answer(step, typed, walk.checklist, now=walk.clock())
    shown = display_answer(step, value, walk.lang, walk.checklist)
    if isinstance(step, DateRecord) or shown != typed.strip():
        screen.message("read_as", "cyan", value=shown)


def _after_failed_check(walk: Walkthrough, screen: WalkScreen, keyboard: Keyboard) -> bool:
    """After a failed check's guidance: check again (False: ask the check again), record it as
    failed and go on, or, for a check that ends the visit, end it once confirmed; or quit."""
    step = walk.failed_check()
    assert step is not None
    ends = not step.can_continue_on_fail
    choices = ("r", "e", "q") if ends else ("r", "f", "q")
    while True:
        choice = ""
        while choice not in choices:
            prompt = screen.say("ask_check_failed_ends" if ends else "ask_check_failed")
            choice = keyboard.ask(prompt, f"check-failed:{step.id}").strip().casefold()[:1]
        if choice == "q":
            raise QuitWalk()
        if choice == "r":
            return False
        if choice == "f":
            walk.accept_check_failure(step.id)
            screen.message("check_recorded_failed", "red")
            return True
        confirm = keyboard.ask(screen.say("confirm_end_visit"), f"end-visit:{step.id}")
        if confirm.strip().casefold() in ("y", "yes", "是"):
            walk.end_visit(step.id)
            screen.message("visit_ended", "bold red")
            return True


def _run_command(
    walk: Walkthrough,
    screen: WalkScreen,
    keyboard: Keyboard,
    position: Position,
    command: Command,
) -> bool:
    """Carry out an in-prompt command; True when the walk moved to another step."""
    step = position.step
    if command.name == "quit":
        raise QuitWalk()
    if command.name == "help":
        screen.step(position)
        screen.commands()
        return False
    if command.name == "back":
        walk.back()
        return True
    if command.name == "skip":
        if step.required:
            walk.skip(step.id, "")  # the walk refuses it, with its reason, before a reason is asked
        reason = command.argument
        while not reason:
            reason = keyboard.ask(screen.say("ask_skip_reason"), f"skip:{step.id}").strip()
            if parse_command(reason) is not None:
                screen.refused(screen.say("reason_not_command"))
                reason = ""
        walk.skip(step.id, typed_answer(reason))
        screen.message("skipped_by_engineer", "dim", reason=reason.strip())
        return True
    if command.name == "note":
        if not command.argument:
            screen.refused(screen.say("note_usage"))
            return False
        walk.note(step.id, command.argument)
        screen.message("note_saved", "green")
        return False
    if not command.argument:
        screen.refused(screen.say("attach_usage"))
        return False
    try:
        attachment = walk.attach(step.id, dragged_path(command.argument))
    except AnswerError:
        raise
    except FieldkitError as error:  # no such file, disk full: say so and stay on the step
        screen.refused(str(error))
        return False
    screen.message("attached", "green", name=attachment.name, digest=attachment.sha256[:12])
    return False


def _ask_followups(
    walk: Walkthrough, screen: WalkScreen, keyboard: Keyboard, step: AnyStep, first: str
) -> list[dict[str, str]]:
    """Follow-ups line by line (`problem ; owner ; due`); an empty line ends the list.

    A bad line is asked again on its own: the items typed before it are kept."""
    items: list[dict[str, str]] = []
    text = first
    while text.strip():
        if parse_command(text) is not None:
            screen.refused(screen.say("followup_not_command"))
        else:
            item = followup_line(typed_answer(text))
            if item is None:
                screen.refused(screen.say("followup_format"))
            elif (due := followup_due(item["due"], walk.clock())) is None:
                screen.refused(screen.say("followup_due", due=item["due"]))
            else:
                items.append({**item, "due": due})
                screen.message("followup_kept", "green", n=len(items), due=due)
        text = keyboard.ask(screen.say("ask_followup", n=len(items) + 1), f"{step.id}:more")
    return items


def followup_line(text: str) -> dict[str, str] | None:
    """`problem ; owner ; due` typed on one line, or None when it does not have three parts."""
    parts = [part.strip() for part in text.replace("；", ";").split(";")]
    if len(parts) != 3 or not all(parts):
        return None
    return {"problem": parts[0], "owner": parts[1], "due": parts[2]}


def _ping_step(
    walk: Walkthrough, screen: WalkScreen, keyboard: Keyboard, position: Position
) -> None:
    """Run the ping when the engineer is ready; on a bad verdict: re-test, fail and go on, quit."""
    step = position.step
    assert isinstance(step, PingStep)
    target = walk.ping_target(step)[0]
    while True:
        text = keyboard.ask(screen.say("ask_ping", target=target), f"ping:{step.id}")
        command = parse_command(text)
        if command is None:
            break
        try:
            if _run_command(walk, screen, keyboard, position, command):
                return
        except AnswerError as refused:
            screen.refused(refused.reason.get(walk.lang))
    quick = False
    while True:
        if _run_ping_once(walk, screen, position, target, quick=quick):
            return
        choice = ""
        while choice not in ("k", "r", "f", "q"):
            typed = fold_width(
                keyboard.ask(screen.say("ask_ping_failed"), f"ping-failed:{step.id}")
            )
            command = parse_command(typed)
            quitting = command is not None and command.name == "quit"  # 退出 as well as q
            choice = "q" if quitting else typed.strip().casefold()[:1]
        if choice == "q":
            raise QuitWalk()
        if choice == "f":
            walk.accept_ping_failure(step.id)
            return
        quick = choice == "k"


def _run_ping_once(
    walk: Walkthrough, screen: WalkScreen, position: Position, target: str, *, quick: bool = False
) -> bool:
    """One attempt: the pre-flight finding, live reply lines, the verdict; True when it passed.
    `quick`: the quick re-test (fieldkit.ping.engine.QUICK_PLAN)."""
    screen.ping_started(position, target, quick=quick)
    result = walk.run_ping(
        position.step.id,
        on_reply=screen.ping_reply,
        on_preflight=screen.ping_preflight,
        quick=quick,
    )
    screen.ping_finished(position, result)
    step = position.step
    assert isinstance(step, PingStep)
    return step.passes(result.verdict.value)
