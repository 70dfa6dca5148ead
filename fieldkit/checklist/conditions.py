"""Evaluate and describe `when` conditions: plain data walked by code, never `eval`.

`answers` maps a step id to its stored answer (as `answers.parse_answer` returns it). A step
that was skipped or left unanswered is absent (or None), and any test on it is false.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fieldkit.checklist.condition_models import (
    AllCondition,
    AnyCondition,
    Condition,
    NotCondition,
    StepCondition,
)
from fieldkit.checklist.numbers import format_number
from fieldkit.lang import Lang


def holds(condition: Condition, answers: Mapping[str, Any]) -> bool:
    """Whether `condition` is true for the answers given so far."""
    if isinstance(condition, AllCondition):
        return all(holds(inner, answers) for inner in condition.all)
    if isinstance(condition, AnyCondition):
        return any(holds(inner, answers) for inner in condition.any)
    if isinstance(condition, NotCondition):
        return not holds(condition.not_, answers)
    return _test_holds(condition, answers.get(condition.step))


def named_steps(condition: Condition) -> list[str]:
    """The steps a condition tests, in the order it names them, each once."""
    if isinstance(condition, AllCondition):
        inner = [name for part in condition.all for name in named_steps(part)]
    elif isinstance(condition, AnyCondition):
        inner = [name for part in condition.any for name in named_steps(part)]
    elif isinstance(condition, NotCondition):
        inner = named_steps(condition.not_)
    else:
        inner = [condition.step]
    return list(dict.fromkeys(inner))


def _test_holds(test: StepCondition, answer: Any) -> bool:
    if answer is None:
        return False
    # A multi_choice answer is a list: the test holds when it holds for any chosen value.
    values = answer if isinstance(answer, list) else [answer]
    if test.equals is not None:
        return any(_same(value, test.equals) for value in values)
    if test.one_of is not None:
        return any(_same(value, wanted) for value in values for wanted in test.one_of)
    number = values[0] if len(values) == 1 else None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return False
    return (test.min is None or number >= test.min) and (test.max is None or number <= test.max)


def _same(answer: Any, wanted: Any) -> bool:
    """Equality that keeps booleans apart from numbers (`true` is not `1`)."""
    if isinstance(answer, bool) or isinstance(wanted, bool):
        return isinstance(answer, bool) and isinstance(wanted, bool) and answer == wanted
    if isinstance(answer, (int, float)) and isinstance(wanted, (int, float)):
        return float(answer) == float(wanted)
    return isinstance(answer, str) and isinstance(wanted, str) and answer == wanted


_WORDS: dict[str, dict[Lang, str]] = {
    "and": {"zh": " 且 ", "en": " and "},
    "or": {"zh": " 或 ", "en": " or "},
    "true": {"zh": "是", "en": "yes"},
    "false": {"zh": "否", "en": "no"},
    "one_of": {"zh": "{step} 为 {values} 之一", "en": "{step} is one of {values}"},
    "not_one_of": {"zh": "{step} 不是 {values} 之一", "en": "{step} is not one of {values}"},
    "outside": {"zh": "{step} 不在 {low}..{high} 之内", "en": "{step} is outside {low}..{high}"},
    "list_sep": {"zh": "、", "en": ", "},
}


def describe(condition: Condition, lang: Lang, *, negate: bool = False) -> str:
    """The condition as a person reads it, e.g. `pigtail_connector = FC`.

    With `negate`, the opposite (`pigtail_connector ≠ FC`): the walkthrough's reason for a skip.
    """
    if isinstance(condition, NotCondition):
        return describe(condition.not_, lang, negate=not negate)
    if isinstance(condition, (AllCondition, AnyCondition)):
        inner = condition.all if isinstance(condition, AllCondition) else condition.any
        # De Morgan: "not (a and b)" reads better as "not a or not b".
        joins_with_and = isinstance(condition, AllCondition) != negate
        joiner = _WORDS["and" if joins_with_and else "or"][lang]
        parts = [_grouped(part, lang, negate) for part in inner]
        return joiner.join(parts)
    return _describe_test(condition, lang, negate)


def skip_reason(condition: Condition, lang: Lang) -> str:
    """Why a step with this `when` was skipped: the condition, negated."""
    return describe(condition, lang, negate=True)


def _grouped(condition: Condition, lang: Lang, negate: bool) -> str:
    text = describe(condition, lang, negate=negate)
    return f"({text})" if isinstance(condition, (AllCondition, AnyCondition)) else text


def _value(value: Any, lang: Lang) -> str:
    if isinstance(value, bool):
        return _WORDS["true" if value else "false"][lang]
    if isinstance(value, (int, float)):
        return format_number(value, typographic=True)
    return str(value)


def _describe_test(test: StepCondition, lang: Lang, negate: bool) -> str:
    step = test.step
    if test.equals is not None:
        return f"{step} {'≠' if negate else '='} {_value(test.equals, lang)}"
    if test.one_of is not None:
        values = _WORDS["list_sep"][lang].join(_value(value, lang) for value in test.one_of)
        return _WORDS["not_one_of" if negate else "one_of"][lang].format(step=step, values=values)
    low = _value(test.min, lang) if test.min is not None else None
    high = _value(test.max, lang) if test.max is not None else None
    if low is not None and high is not None:
        if negate:
            return _WORDS["outside"][lang].format(step=step, low=low, high=high)
        return f"{low} ≤ {step} ≤ {high}"
    if low is not None:
        return f"{step} {'<' if negate else '≥'} {low}"
    return f"{step} {'>' if negate else '≤'} {high}"
