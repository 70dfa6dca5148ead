"""A result is bound to what it was computed from.

Each answer, skip and ping attempt records the earlier answers it used (`inputs`: the ping's
target, mask and own_ip, the steps its `when` names, the times a date or time must not precede,
and for the gateway the customer IP and mask it was checked against). This module says which
answers those are for a step, reads them back from an entry, and moves a result whose inputs
changed to the step's `superseded` history with the reason. It decides nothing about where the
walk stands (reconcile.py does), so the rule of what a result depends on lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from fieldkit.checklist.conditions import named_steps
from fieldkit.checklist.models import AnyStep, DateRecord, PingStep
from fieldkit.lang import Lang
from fieldkit.records.models import StepAnswer, SupersededResult
from fieldkit.text import Text
from fieldkit.walk.addresses import address_steps


def settled(entry: StepAnswer) -> bool:
    """Answered or skipped: the walk has moved past it (an open failure is not settled)."""
    return entry.skipped or entry.answered_at is not None


def skipped_by_walk(entry: StepAnswer) -> bool:
    """A skip the walk made itself (hidden by `when`, nothing to ping, visit ended): no time."""
    return entry.skipped and entry.answered_at is None


def has_result(entry: StepAnswer) -> bool:
    """The engineer's answer or skip, or ping attempts: what an input change can make stale."""
    return bool(entry.ping_attempts) or (settled(entry) and not skipped_by_walk(entry))


def dependencies(step: AnyStep, checks: Mapping[str, list[PingStep]]) -> tuple[str, ...]:
    """The earlier steps whose answers this step's result is computed from: its `when`, a
    ping's target, mask and own_ip, and for the record an address check runs at, the other
    records that check read."""
    names = named_steps(step.when) if step.when is not None else []
    if isinstance(step, PingStep):
        names += [step.target, *([step.mask] if step.mask else [])]
        names += [step.own_ip] if step.own_ip else []
    for ping in checks.get(step.id, []):
        names += [name for name in address_steps(ping) if name != step.id]
    if isinstance(step, DateRecord):
        names += step.not_before
    return tuple(dict.fromkeys(names))


def recorded_inputs(step: AnyStep, entry: StepAnswer) -> dict[str, Any] | None:
    """What the entry's result was computed from; None when that is unknown.

    Records from before `inputs` existed name the target in each ping attempt.
    """
    if entry.inputs is not None:
        return dict(entry.inputs)
    if isinstance(step, PingStep) and entry.ping_attempts:
        return {step.target: entry.ping_attempts[-1].get("target")}
    return None


def runs_backwards(step: DateRecord, value: Any, given: Mapping[str, Any]) -> Text | None:
    """Why a date or time answer cannot stand: it is before an earlier one it must follow."""
    for name in step.not_before:
        earlier = given.get(name)
        if not isinstance(earlier, str) or not isinstance(value, str):
            continue
        if _moment(value, step.input) < _moment(earlier, step.input):
            return Text(
                zh=f"{value} 早于 {name}（{earlier}）：同一次走访中的时间不能倒流",
                en=f"{value} is before {name} ({earlier}): times within a visit cannot run "
                "backwards",
            )
    return None


def _moment(text: str, kind: str) -> datetime | date:
    """A stored date or datetime answer (always ISO; a datetime always with its offset)."""
    if kind == "date":
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def change_reason(recorded: Mapping[str, Any], inputs: Mapping[str, Any], lang: Lang) -> str:
    """`gateway changed: 192.168.1.1 → 192.168.1.2`, one part per changed input."""
    parts = []
    for name in recorded:
        old, new = recorded.get(name), inputs.get(name)
        if old != new:
            parts.append(
                Text(
                    zh=f"{name} 已更改：{_shown(old, lang)} → {_shown(new, lang)}",
                    en=f"{name} changed: {_shown(old, lang)} → {_shown(new, lang)}",
                ).get(lang)
            )
    return "; ".join(parts)


def _shown(value: Any, lang: Lang) -> str:
    if value is None:
        return Text(zh="（未回答）", en="(not answered)").get(lang)
    return str(value)


def superseded(
    entry: StepAnswer,
    inputs: dict[str, Any] | None,
    reason: str,
    clock: Callable[[], datetime],
) -> StepAnswer:
    """The entry with its result moved to its history; notes and attachments stay."""
    old = SupersededResult(
        value=entry.value,
        unit=entry.unit,
        passed=entry.passed,
        warning=entry.warning,
        answered_at=entry.answered_at,
        skipped=entry.skipped,
        skip_reason=entry.skip_reason,
        inputs=inputs,
        ping_attempts=entry.ping_attempts,
        superseded_at=clock(),
        reason=reason,
    )
    return entry.model_copy(
        update={
            "value": None,
            "unit": None,
            "passed": None,
            "warning": None,
            "answered_at": None,
            "skipped": False,
            "skip_reason": None,
            "ping_attempts": [],
            "inputs": None,
            "superseded": [*entry.superseded, old],
        }
    )
