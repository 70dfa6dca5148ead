"""What a completed visit achieved, judged by what its checklist's kind is for.

- turnup, tools: `passed`, or `failed` when a deciding step failed. Every step that can fail
  decides, except those marked `decides: false` (their failures are findings).
- repair: `restored` when every deciding step passed, else `not_restored`. The steps marked
  `decides: true` decide; without one, the last step that can fail does. Every other failed
  step (the diagnosis: no light, a low reading) is a finding, not a failure.
- inspection, visit: `completed`; every failed step is a finding (a swollen UPS battery found
  is the inspection doing its job).
- Whatever the kind, a failed check that ends the visit (`can_continue: false`) is a failure:
  the turn-up failed, the repair is not restored, the inspection or visit is `not_completed`.

docs/visit-record.md ("Outcome per kind") says the same for readers of records;
records/migrations.py applies the same rules to records written before outcomes had kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fieldkit.checklist.models import Checklist, CheckStep, can_fail
from fieldkit.records.models import Outcome, StepAnswer

FINDINGS_ONLY_KINDS = ("inspection", "visit")


@dataclass(frozen=True)
class VisitVerdict:
    """The outcome of a completed visit and how its failed steps count."""

    outcome: Outcome
    failed_steps: list[str]  # failures that decided the outcome
    findings: list[str]  # failures that are what the visit found


def deciding_steps(checklist: Checklist) -> frozenset[str]:
    """The ids of the steps whose failure decides the outcome (see the module's rules)."""
    if checklist.kind in FINDINGS_ONLY_KINDS:
        return frozenset()
    failable = [step for step in checklist.steps if can_fail(step)]
    if checklist.kind == "repair":
        marked = [step.id for step in failable if step.decides]
        if marked:
            return frozenset(marked)
        unmarked = [step.id for step in failable if step.decides is None]
        return frozenset(unmarked[-1:])
    return frozenset(step.id for step in failable if step.decides is not False)


def ending_checks(checklist: Checklist) -> frozenset[str]:
    """The ids of the checks whose failure ends the visit (`on_fail: {can_continue: false}`)."""
    return frozenset(
        step.id
        for step in checklist.steps
        if isinstance(step, CheckStep) and not step.can_continue_on_fail
    )


def judge_visit(checklist: Checklist, answers: Sequence[StepAnswer]) -> VisitVerdict:
    """The verdict of a visit whose every step is answered or skipped."""
    deciding = deciding_steps(checklist)
    counted = deciding | ending_checks(checklist)
    failed = [answer.step_id for answer in answers if answer.passed is False]
    failures = [step_id for step_id in failed if step_id in counted]
    findings = [step_id for step_id in failed if step_id not in counted]
    if checklist.kind in FINDINGS_ONLY_KINDS:
        outcome = Outcome.NOT_COMPLETED if failures else Outcome.COMPLETED
    elif checklist.kind == "repair":
        # Restoration has to be shown: a deciding step that was skipped shows nothing.
        passed = {answer.step_id for answer in answers if answer.passed is True}
        restored = not failures and deciding <= passed
        outcome = Outcome.RESTORED if restored else Outcome.NOT_RESTORED
    else:
        outcome = Outcome.FAILED if failures else Outcome.PASSED
    return VisitVerdict(outcome, failures, findings)
