"""The questions before the walk: the visit fields (engineer, customer, site, order, order
type, grade) taken from the options, the answers file and the config or asked at the keyboard,
and how Ctrl-C or Ctrl-D at any of these questions leaves with nothing recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text as RichText

from fieldkit.checklist.handtyped import fold_width, is_plain_number
from fieldkit.errors import ExitCode, FieldkitError, UserInputError
from fieldkit.lang import Lang
from fieldkit.sla import Grade, OrderType, builtin_sla
from fieldkit.text import name_problem
from fieldkit.ui.prompts import Keyboard
from fieldkit.ui.texts import say
from fieldkit.walk.answers_file import AnswersFile

# The visit fields a `fieldkit run` option or an answers file may give.
VISIT_FIELDS = ("customer", "site", "order", "order_type", "grade", "engineer")


class StoppedBeforeTheWalk(FieldkitError):
    """Ctrl-C or Ctrl-D at a question before the first step: nothing was recorded."""

    exit_code = ExitCode.CANNOT_RUN


def stopped_before_the_walk(lang: Lang) -> StoppedBeforeTheWalk:
    return StoppedBeforeTheWalk(say("stopped_before_the_walk", lang))


class QuestionsBeforeTheWalk:
    """The keyboard for the visit fields and for choosing a visit: Ctrl-C and Ctrl-D leave
    with one line and exit 3, as at a step (else Ctrl-D was Click's "Aborted.", exit 1)."""

    def __init__(self, keyboard: Keyboard, console: Console, lang: Lang) -> None:
        self.keyboard = keyboard
        self.console = console
        self.lang = lang

    def ask(self, prompt: str, key: str) -> str:
        try:
            return self.keyboard.ask(prompt, key)
        except (KeyboardInterrupt, EOFError):
            self.console.print()
            raise stopped_before_the_walk(self.lang) from None


_NEEDED = ("engineer", "customer")
# Which checklist kinds a field is asked for: an order type (data/sla.yaml) is a turn-up's,
# a customer grade every customer's. Given as an option or in a file, a field is kept anyway.
_ASKED_FOR_KINDS: dict[str, frozenset[str]] = {
    "order_type": frozenset({"turnup"}),
    "grade": frozenset({"turnup", "inspection", "visit", "repair"}),
}


def fields_for_kind(kind: str) -> tuple[str, ...]:
    """The visit fields after engineer and customer, as they apply to a checklist kind."""
    return tuple(
        name
        for name in ("site", "order", "order_type", "grade")
        if kind in _ASKED_FOR_KINDS.get(name, frozenset({kind}))
    )


class _Back(Exception):
    """`back` at a visit-field question: ask the one before it again."""


class VisitFieldQuestions:
    """The visit fields: `options` (as typed, None when not given) first, then the answers
    file, then the config (engineer); the rest are asked when there is a keyboard. `settle`
    fills `values` a group at a time."""

    def __init__(
        self,
        options: dict[str, str | None],
        *,
        lang: Lang,
        answers: AnswersFile | None,
        answers_path: Path | None,
        keyboard: Keyboard | None,
        console: Console,
    ) -> None:
        from fieldkit.config import load_config

        self.options = options
        self.answers = answers
        self.answers_path = answers_path
        self.keyboard = keyboard
        self.lang = lang
        self.console = console
        self.given: dict[str, Any] = dict(answers.visit) if answers else {}
        for name in VISIT_FIELDS:
            value = options.get(name)
            if value is not None:
                self.given[name] = value
        if not self.given.get("engineer"):
            self.given["engineer"] = load_config().engineer
        self.values: dict[str, Any] = {}
        for name in builtin_sla().visit_field_choices():  # a wrong option, before any question
            self._checked(name, options.get(name))

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
                where = f" or `{name}:` in {self.answers_path}" if self.answers_path else ""
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
                raise stopped_before_the_walk(self.lang)
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
        choices = builtin_sla().visit_field_choices().get(name)
        if value is None:
            return value
        try:
            if choices is None:
                problem = name_problem(value)
                if problem is not None:
                    if self.lang == "zh":
                        raise UserInputError(say(f"field_{name}", "zh") + problem.zh)
                    raise UserInputError(f"{name} {problem.en}")
                return value
            return _labelled(choices, value, name, self.lang)
        except UserInputError as error:
            if self.answers is None or self.options.get(name) is not None:
                raise
            raise UserInputError(f"{self.answers.where(name)}: {error}") from None

    def _say(self, key: str, style: str = "", **values: Any) -> None:
        self.console.print(RichText(say(key, self.lang, **values), style=style))

    def _ask(self, name: str) -> str | None:
        """One field asked until it is answered, left empty (when it may be), or `back`."""
        from fieldkit.ui.prompts import parse_command, typed_answer

        assert self.keyboard is not None
        choices = builtin_sla().visit_field_choices().get(name)
        if choices is not None:  # the choices, numbered, on their own line (it wraps at 80 columns)
            self.console.print(
                "  ".join(
                    f"{number}) {member.label.get(self.lang)}"
                    for number, member in enumerate(choices, start=1)
                ),
                highlight=False,
            )
        while True:
            text = self.keyboard.ask(say(f"ask_{name}", self.lang), f"field:{name}")
            command = parse_command(text)
            if command is not None:
                if command.name == "quit":
                    raise stopped_before_the_walk(self.lang)
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
            if choices is not None:
                try:
                    _labelled(choices, text, name, self.lang)
                except UserInputError as error:
                    self._say("refused", "red", reason=str(error))
                    continue
            return text


def _labelled(members: Sequence[Grade | OrderType], value: str, name: str, lang: Lang) -> str:
    """The id of the choice named by its id, its label (zh or en) or its number in the list."""
    wanted = fold_width(value).strip().casefold()
    for member in members:
        names = {member.id, member.label.zh.casefold(), member.label.en.casefold()}
        if wanted in names:
            return member.id
    if is_plain_number(wanted) and 1 <= int(wanted) <= len(members):
        return members[int(wanted) - 1].id
    if lang == "zh":
        choices = "、".join(
            f"{number} {member.label.zh}" for number, member in enumerate(members, start=1)
        )
        raise UserInputError(f"{say(f'field_{name}', 'zh')}“{value}”不是可选项：{choices}")
    choices = ", ".join(member.id for member in members)
    raise UserInputError(f"{name} {value!r} is not one of {choices} (or 1..{len(members)})")
