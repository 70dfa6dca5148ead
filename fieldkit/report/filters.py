"""Which visits a report covers: `--since`, `--until`, `--engineer`, `--checklist`, ...

Dates are calendar days as the engineer lived them: a visit started at 23:30 on 1 May in
Beijing (+08:00) belongs to 1 May, whatever the supervisor's own time zone. A value with a
time and an offset compares as an instant instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from fieldkit.errors import UserInputError
from fieldkit.records.models import Outcome, VisitRecord, VisitStatus
from fieldkit.sla import builtin_sla

CHECKLIST_KINDS = ("turnup", "inspection", "visit", "repair", "tools")


@dataclass(frozen=True)
class Bound:
    """A `--since`/`--until` value: a calendar day, or an instant when it carries an offset."""

    day: date | None = None
    instant: datetime | None = None

    @classmethod
    def parse(cls, text: str, option: str) -> Bound:
        try:
            if len(text.strip()) <= 10:
                return cls(day=date.fromisoformat(text.strip()))
            moment = datetime.fromisoformat(text.strip())
        except ValueError as error:
            raise UserInputError(
                f"{option} {text!r}: expected a date (2024-05-01) or a date-time with an offset "
                "(2024-05-01T08:00+08:00)"
            ) from error
        if moment.tzinfo is None:
            raise UserInputError(f"{option} {text!r}: a date-time needs an offset, e.g. +08:00")
        return cls(instant=moment)

    def is_after(self, moment: datetime) -> bool:
        """True when `moment` lies strictly before this bound (so it fails a --since)."""
        if self.day is not None:
            return moment.date() < self.day
        assert self.instant is not None
        return moment < self.instant

    def is_before(self, moment: datetime) -> bool:
        """True when `moment` lies strictly after this bound (so it fails an --until)."""
        if self.day is not None:
            return moment.date() > self.day
        assert self.instant is not None
        return moment > self.instant


def _choices(values: Sequence[str], allowed: Sequence[str], option: str) -> frozenset[str]:
    known = {choice.replace("_", "-"): choice for choice in allowed}
    chosen = set()
    for value in values:
        choice = known.get(value.strip().lower().replace("_", "-"))
        if choice is None:  # named as typed: 本地C, not the folded 本地c
            raise UserInputError(f"{option} {value!r}: expected one of {', '.join(sorted(known))}")
        chosen.add(choice)
    return frozenset(chosen)


@dataclass(frozen=True)
class Filters:
    """A visit is kept when it matches every given filter; within one filter, any value."""

    since: Bound | None = None
    until: Bound | None = None
    engineers: frozenset[str] = field(default_factory=frozenset)  # case-insensitive
    checklists: frozenset[str] = field(default_factory=frozenset)
    kinds: frozenset[str] = field(default_factory=frozenset)
    statuses: frozenset[str] = field(default_factory=frozenset)
    outcomes: frozenset[str] = field(default_factory=frozenset)
    grades: frozenset[str] = field(default_factory=frozenset)
    customer: str | None = None  # case-insensitive part of the customer name

    @classmethod
    def from_options(
        cls,
        *,
        since: str | None = None,
        until: str | None = None,
        engineers: Sequence[str] = (),
        checklists: Sequence[str] = (),
        kinds: Sequence[str] = (),
        statuses: Sequence[str] = (),
        outcomes: Sequence[str] = (),
        grades: Sequence[str] = (),
        customer: str | None = None,
    ) -> Filters:
        """Parse the CLI's option values; a wrong one raises UserInputError naming it."""
        return cls(
            since=Bound.parse(since, "--since") if since else None,
            until=Bound.parse(until, "--until") if until else None,
            engineers=frozenset(name.strip().casefold() for name in engineers),
            checklists=frozenset(name.strip() for name in checklists),
            kinds=_choices(kinds, CHECKLIST_KINDS, "--kind"),
            statuses=_choices(statuses, [s.value for s in VisitStatus], "--status"),
            outcomes=_choices(outcomes, [o.value for o in Outcome], "--outcome"),
            grades=_choices(grades, [grade.id for grade in builtin_sla().grades], "--grade"),
            customer=customer.strip().casefold() if customer and customer.strip() else None,
        )

    def matches(self, record: VisitRecord) -> bool:
        if self.since is not None and self.since.is_after(record.started_at):
            return False
        if self.until is not None and self.until.is_before(record.started_at):
            return False
        if self.engineers and record.engineer.strip().casefold() not in self.engineers:
            return False
        if self.checklists and record.checklist.id not in self.checklists:
            return False
        if self.kinds and record.checklist.kind not in self.kinds:
            return False
        if self.statuses and record.status.value not in self.statuses:
            return False
        if self.outcomes and (record.outcome is None or record.outcome.value not in self.outcomes):
            return False
        if self.grades and (record.grade is None or record.grade not in self.grades):
            return False
        return self.customer is None or self.customer in record.customer.casefold()
