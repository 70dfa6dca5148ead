"""What a stored answer means: whether it passes its step (`judge`, pass / warning / fail with
a bilingual reason) and how a person reads it (`display_answer`: choice labels, yes/no, units,
tool names). Values come from parse_answer in answers.py, which names choices and ranges in
its refusals with the wording helpers here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fieldkit.checklist.models import (
    AnyStep,
    Checklist,
    CheckStep,
    ChoiceRecord,
    InstructionStep,
    NumberRecord,
    PingStep,
    ToolsStep,
)
from fieldkit.checklist.numbers import format_number
from fieldkit.lang import Lang
from fieldkit.text import Text

AnswerValue = bool | int | float | str | list[str] | list[dict[str, str]]
Outcome = Literal["pass", "warning", "fail"]


@dataclass(frozen=True)
class Judgement:
    """Whether a stored answer passes; `reason` explains a warning or a failure."""

    outcome: Outcome
    reason: Text | None = None


def _number_with_unit(value: float, unit: str | None) -> str:
    number = format_number(value, typographic=True)
    return f"{number} {unit}" if unit else number


def range_text(low: float | None, high: float | None, unit: str | None) -> str:
    if low is not None and high is not None:
        text = f"{format_number(low, typographic=True)}..{format_number(high, typographic=True)}"
    elif low is not None:
        text = f"≥ {format_number(low, typographic=True)}"
    else:
        text = f"≤ {format_number(high or 0, typographic=True)}"
    return f"{text} {unit}" if unit else text


def choice_labels(step: ChoiceRecord, values: list[str], lang: Lang) -> str:
    return _joined(step.labels_in(values, lang), lang)


def _tool_names(ids: list[str], checklist: Checklist | None, lang: Lang) -> str:
    """Tool ids as the packing list names them (the ids themselves without the checklist)."""
    names = {tool.id: tool.name.get(lang) for tool in checklist.tools} if checklist else {}
    return _joined([names.get(tool_id, tool_id) for tool_id in ids], lang)


def _joined(items: list[str], lang: Lang) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def judge(step: AnyStep, value: AnswerValue, checklist: Checklist | None = None) -> Judgement:
    """Whether a value returned by `parse_answer` passes the step. Reasons name choices by their
    labels, and missing tools by their names when the `checklist` is given."""
    if isinstance(step, InstructionStep) and value is False:
        return Judgement("fail", Text(zh="未完成", en="not done"))
    if isinstance(step, CheckStep) and value is False:
        guidance = step.on_fail.guidance if step.on_fail else None
        return Judgement("fail", guidance or Text(zh="回答为否", en="answered no"))
    if isinstance(step, NumberRecord) and isinstance(value, (int, float)):
        return _judge_number(step, value)
    if isinstance(step, ChoiceRecord) and step.expect is not None:
        chosen = value if isinstance(value, list) else [value]
        unexpected = [str(item) for item in chosen if item not in step.expect]
        if unexpected:
            given = {lang: choice_labels(step, unexpected, lang) for lang in ("zh", "en")}
            passing = {lang: choice_labels(step, step.expect, lang) for lang in ("zh", "en")}
            return Judgement(
                "fail",
                Text(
                    zh=f"{given['zh']} 不在合格项（{passing['zh']}）之内",
                    en=f"{given['en']} is not among the passing choices ({passing['en']})",
                ),
            )
    if isinstance(step, ToolsStep) and isinstance(value, list) and value:
        missing = [item for item in value if isinstance(item, str)]
        return Judgement(
            "fail",
            Text(
                zh=f"未带：{_tool_names(missing, checklist, 'zh')}",
                en=f"not packed: {_tool_names(missing, checklist, 'en')}",
            ),
        )
    if isinstance(step, PingStep):
        raise ValueError("a ping step is judged by the ping engine's verdict")
    return Judgement("pass")


def _outside(value: float, low: float | None, high: float | None) -> bool:
    return (low is not None and value < low) or (high is not None and value > high)


def _judge_number(step: NumberRecord, value: float) -> Judgement:
    shown = _number_with_unit(value, step.unit)
    if step.expect and _outside(value, step.expect.min, step.expect.max):
        band = range_text(step.expect.min, step.expect.max, step.unit)
        return Judgement(
            "fail", Text(zh=f"{shown} 不在合格范围 {band} 之内", en=f"{shown} is outside {band}")
        )
    if step.warn and _outside(value, step.warn.min, step.warn.max):
        band = range_text(step.warn.min, step.warn.max, step.unit)
        return Judgement(
            "warning",
            Text(
                zh=f"{shown} 合格但不在理想范围 {band} 之内",
                en=f"{shown} passes but is outside the comfortable {band}",
            ),
        )
    return Judgement("pass")


def display_answer(
    step: AnyStep, value: AnswerValue, lang: Lang, checklist: Checklist | None = None
) -> str:
    """A stored value as a person reads it: choice labels, yes/no, units, and tool names when
    the `checklist` is given."""
    if isinstance(value, bool):
        words = {True: ("是", "yes"), False: ("否", "no")}
        if isinstance(step, InstructionStep):
            words = {True: ("已完成", "done"), False: ("未完成", "not done")}
        zh, en = words[value]
        return zh if lang == "zh" else en
    if isinstance(step, NumberRecord) and isinstance(value, (int, float)):
        return _number_with_unit(value, step.unit)
    if isinstance(step, ChoiceRecord):
        chosen = value if isinstance(value, list) else [value]
        return choice_labels(step, [str(item) for item in chosen], lang)
    if isinstance(step, ToolsStep) and isinstance(value, list):
        if not value:
            return "全部带齐" if lang == "zh" else "everything packed"
        return _tool_names([str(item) for item in value], checklist, lang)
    if isinstance(step, PingStep) and isinstance(value, str):
        from fieldkit.ping.catalogue import load_catalogue

        return load_catalogue().verdict_name(value, lang)  # 连接正常, not ok
    if isinstance(value, list):
        items: list[Any] = list(value)
        return "; ".join(
            " / ".join(item.values()) if isinstance(item, dict) else str(item) for item in items
        )
    return str(value)
