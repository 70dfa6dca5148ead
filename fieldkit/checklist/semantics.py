"""Checks that a valid-shaped checklist also makes sense: ids, references, ranges, choices.

`semantic_problems` returns every problem it finds as (loc, message), where loc is a path
through the YAML data (e.g. `("steps", 5, "when", "step")`), so that the loader can point at
the exact line. It never raises and never stops at the first problem.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from fieldkit.checklist.condition_models import (
    AllCondition,
    AnyCondition,
    Condition,
    NotCondition,
    StepCondition,
)
from fieldkit.checklist.models import (
    AnyStep,
    Checklist,
    CheckStep,
    ChoiceRecord,
    DateRecord,
    InstructionStep,
    NumberRecord,
    PingStep,
    Range,
    RecordStep,
    ToolsStep,
    can_fail,
)
from fieldkit.checklist.numbers import format_number
from fieldkit.checklist.step_refs import reference_problems

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


def semantic_problems(checklist: Checklist) -> list[Problem]:
    """Every cross-key problem of the checklist, in file order."""
    problems: list[Problem] = []
    problems += _duplicate_ids([tool.id for tool in checklist.tools], "tools", "tool")
    problems += _duplicate_ids([step.id for step in checklist.steps], "steps", "step")
    problems += reference_problems(checklist)
    for index, step in enumerate(checklist.steps):
        loc: Loc = ("steps", index)
        if step.when is not None:
            problems += _condition_problems(checklist, index, step.when, (*loc, "when"))
        if isinstance(step, PingStep):
            problems += _ping_problems(checklist, index, step, loc)
        if isinstance(step, NumberRecord):
            problems += _number_problems(step, loc)
        if isinstance(step, ChoiceRecord):
            problems += _choice_problems(step, loc)
        if isinstance(step, ToolsStep) and not checklist.tools:
            problems.append(((*loc, "type"), "a tools step needs a `tools` list in the checklist"))
        if step.decides is not None:
            problems += _decides_problems(checklist, step, loc)
        if isinstance(step, DateRecord):
            for i, name in enumerate(step.not_before):
                where: Loc = (*loc, "not_before", i)
                earlier, found = _earlier_step(checklist, index, name, where, "not_before")
                problems += found
                if earlier is not None and getattr(earlier, "input", None) != step.input:
                    problems.append(
                        (where, f"not_before {name!r} must be a record step with `input: "
                                f"{step.input}`, like this one")
                    )
    return problems


_KIND_NAMES = {"inspection": "an inspection", "visit": "a customer visit"}


def _decides_problems(checklist: Checklist, step: AnyStep, loc: Loc) -> list[Problem]:
    if not can_fail(step):
        return [
            (
                (*loc, "decides"),
                "only a step that can fail decides the outcome (instruction, check, ping, tools, "
                "or a record with `expect`)",
            )
        ]
    if step.decides is False and isinstance(step, CheckStep) and not step.can_continue_on_fail:
        return [
            (
                (*loc, "decides"),
                "a check that ends the visit (`can_continue: false`) always decides the outcome",
            )
        ]
    if step.decides and checklist.kind in ("inspection", "visit"):
        return [
            (
                (*loc, "decides"),
                f"every failed step of {_KIND_NAMES[checklist.kind]} is a finding: no step "
                "decides its outcome (only a check with `can_continue: false` ends it as not "
                "completed)",
            )
        ]
    return []


def _duplicate_ids(ids: list[str], section: str, what: str) -> list[Problem]:
    first_index: dict[str, int] = {}
    problems: list[Problem] = []
    for index, item_id in enumerate(ids):
        if item_id in first_index:
            problems.append(
                (
                    (section, index, "id"),
                    f"duplicate {what} id {item_id!r} ({what} #{first_index[item_id] + 1} has it)",
                )
            )
        else:
            first_index[item_id] = index
    return problems


def _earlier_step(
    checklist: Checklist, index: int, step_id: str, loc: Loc, role: str
) -> tuple[AnyStep | None, list[Problem]]:
    """The step `step_id` if it comes before step `index`; otherwise a problem saying why not."""
    position = checklist.step_index(step_id)
    if position is None:
        known = [step.id for step in checklist.steps[:index]]
        message = f"{role} names unknown step {step_id!r}"
        suggestion = difflib.get_close_matches(step_id, known, n=1, cutoff=0.6)
        if suggestion:
            message += f" (did you mean {suggestion[0]!r}?)"
        return None, [(loc, message)]
    if position == index:
        return None, [(loc, f"{role} names this step itself; it can only use earlier steps")]
    if position > index:
        return None, [
            (
                loc,
                f"{role} names step {step_id!r}, which comes later (step #{position + 1}); "
                "it can only use earlier steps",
            )
        ]
    return checklist.steps[position], []


def _walk_conditions(condition: Condition, loc: Loc) -> Iterator[tuple[StepCondition, Loc]]:
    if isinstance(condition, StepCondition):
        yield condition, loc
    elif isinstance(condition, AllCondition):
        for i, inner in enumerate(condition.all):
            yield from _walk_conditions(inner, (*loc, "all", i))
    elif isinstance(condition, AnyCondition):
        for i, inner in enumerate(condition.any):
            yield from _walk_conditions(inner, (*loc, "any", i))
    elif isinstance(condition, NotCondition):
        yield from _walk_conditions(condition.not_, (*loc, "not"))


def _condition_problems(
    checklist: Checklist, index: int, condition: Condition, loc: Loc
) -> list[Problem]:
    problems: list[Problem] = []
    for test, test_loc in _walk_conditions(condition, loc):
        if test.test_count != 1:
            problems.append((test_loc, "give exactly one of `equals`, `one_of`, or `min`/`max`"))
            continue
        target, found = _earlier_step(checklist, index, test.step, (*test_loc, "step"), "when")
        problems += found
        if test.min is not None and test.max is not None and test.min > test.max:
            problems.append(((*test_loc, "min"), _min_above_max(test.min, test.max)))
        if target is not None:
            problems += _condition_fits_step(test, target, test_loc)
    return problems


def _condition_fits_step(test: StepCondition, target: AnyStep, loc: Loc) -> list[Problem]:
    """Whether the values a condition compares with can be answers of the step it names."""
    values = [test.equals] if test.equals is not None else list(test.one_of or [])
    value_key = "equals" if test.equals is not None else "one_of"
    is_range = test.min is not None or test.max is not None
    if isinstance(target, (InstructionStep, CheckStep)):
        if is_range:
            return [
                (
                    (*loc, "min" if test.min is not None else "max"),
                    f"{target.id!r} is answered yes/no; compare it with `equals: true/false`",
                )
            ]
        wrong = [value for value in values if not isinstance(value, bool)]
        if wrong:
            return [
                (
                    (*loc, value_key),
                    f"{target.id!r} is answered yes/no: compare with true or false, "
                    f"not {wrong[0]!r}",
                )
            ]
        return []
    if not isinstance(target, RecordStep):
        return [
            (
                (*loc, "step"),
                f"{target.id!r} is a {target.type} step; conditions can use instruction, "
                "check and record steps",
            )
        ]
    if isinstance(target, NumberRecord):
        wrong = [value for value in values if isinstance(value, (bool, str))]
        if wrong:
            return [((*loc, value_key), f"{target.id!r} records a number, not {wrong[0]!r}")]
        return []
    if is_range:
        return [
            (
                (*loc, "min" if test.min is not None else "max"),
                f"`min`/`max` need a number step, but {target.id!r} records {target.input}",
            )
        ]
    if isinstance(target, ChoiceRecord):
        known = [choice.value for choice in target.choices]
        for value in values:
            if str(value) not in known or isinstance(value, bool):
                return [
                    (
                        (*loc, value_key),
                        f"{value!r} is not a choice of {target.id!r} (choices: {', '.join(known)})",
                    )
                ]
    return []


def _ping_problems(checklist: Checklist, index: int, step: PingStep, loc: Loc) -> list[Problem]:
    problems: list[Problem] = []
    target, found = _earlier_step(checklist, index, step.target, (*loc, "target"), "target")
    problems += found
    if target is not None and getattr(target, "input", None) != "ipv4":
        problems.append(
            ((*loc, "target"), f"target {step.target!r} must be a record step with `input: ipv4`")
        )
    if step.mask is not None:
        mask, found = _earlier_step(checklist, index, step.mask, (*loc, "mask"), "mask")
        problems += found
        if mask is not None and getattr(mask, "input", None) != "netmask":
            problems.append(
                ((*loc, "mask"), f"mask {step.mask!r} must be a record step with `input: netmask`")
            )
    if step.own_ip is not None:
        own_ip, found = _earlier_step(checklist, index, step.own_ip, (*loc, "own_ip"), "own_ip")
        problems += found
        if own_ip is not None and getattr(own_ip, "input", None) != "ipv4":
            message = f"own_ip {step.own_ip!r} must be a record step with `input: ipv4`"
            problems.append(((*loc, "own_ip"), message))
        elif step.own_ip == step.target:
            problems.append(((*loc, "own_ip"), "own_ip and target name the same step"))
    return problems


def _min_above_max(low: float, high: float) -> str:
    return f"min {format_number(low)} is greater than max {format_number(high)}"


def _range_problems(band: Range, loc: Loc) -> list[Problem]:
    if band.min is not None and band.max is not None and band.min > band.max:
        return [((*loc, "min"), _min_above_max(band.min, band.max))]
    return []


def _outside(inner: Range, outer: Range) -> bool:
    """Whether `inner` reaches beyond `outer` on either side."""
    too_low = outer.min is not None and (inner.min is None or inner.min < outer.min)
    too_high = outer.max is not None and (inner.max is None or inner.max > outer.max)
    return too_low or too_high


def _describe(band: Range) -> str:
    low = format_number(band.min) if band.min is not None else "…"
    high = format_number(band.max) if band.max is not None else "…"
    return f"{low}..{high}"


def _number_problems(step: NumberRecord, loc: Loc) -> list[Problem]:
    limits = Range(min=step.min, max=step.max)
    problems = _range_problems(limits, loc)
    for name, band in (("expect", step.expect), ("warn", step.warn)):
        if band is not None:
            problems += _range_problems(band, (*loc, name))
    if problems:
        return problems
    if step.expect is not None and _outside(step.expect, limits):
        problems.append(
            (
                (*loc, "expect"),
                f"expect {_describe(step.expect)} must lie inside min..max {_describe(limits)}",
            )
        )
    if step.warn is not None:
        outer, outer_name = (step.expect, "expect") if step.expect else (limits, "min..max")
        if _outside(step.warn, outer):
            problems.append(
                (
                    (*loc, "warn"),
                    f"warn {_describe(step.warn)} must lie inside {outer_name} {_describe(outer)}",
                )
            )
    if step.input == "integer":
        for key, bound in (("min", step.min), ("max", step.max)):
            if bound is not None and not float(bound).is_integer():
                problems.append(((*loc, key), f"an integer step needs a whole {key}, not {bound}"))
    return problems


def _choice_problems(step: ChoiceRecord, loc: Loc) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, choice in enumerate(step.choices):
        folded = choice.value.casefold()
        if folded in seen:
            # Answers match values case-insensitively, so `fc` and `FC` would be one answer.
            problems.append(
                ((*loc, "choices", i, "value"), f"choice value {choice.value!r} is repeated")
            )
        seen.add(folded)
    known = {choice.value for choice in step.choices}
    for i, value in enumerate(step.expect or []):
        if value not in known:
            problems.append(
                (
                    (*loc, "expect", i),
                    f"expect value {value!r} is not one of the choices "
                    f"({', '.join(choice.value for choice in step.choices)})",
                )
            )
    return problems
