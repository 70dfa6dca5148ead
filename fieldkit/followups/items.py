"""The follow-up items of a visit record, each with a stable id.

An item's id is `<visit id>#<step id>-<n>`: the visit, the followups step that holds the item,
and its place in that step's list (from 1), e.g. `20240512T083012Z-K3M9Q2XAB7#problems_found-2`.
It is computed from the record, never stored in it, so records written before ids existed
have ids too, and the same record always gives the same ids. It cannot collide: a record has
one answer per step, step ids have no `#` or `-`, and the list of a finished visit is sealed
by its digest. People may type any unique start or end of the visit id, as for `visits show`:
`XAB7#problems_found-2`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from fieldkit.errors import UserInputError
from fieldkit.records.models import VisitRecord, VisitStatus

if TYPE_CHECKING:
    from fieldkit.followups.closures import Closure

FOLLOWUPS_STEP_TYPE = "followups"
# visit id (or a part of one) # step id - number; step ids are ^[a-z][a-z0-9_]*$.
_ITEM_ID = re.compile(
    r"^(?P<visit>[0-9A-Za-z-]{1,40})#(?P<step>[a-z][a-z0-9_]{0,99})-(?P<n>[1-9][0-9]{0,5})$"
)


def item_id(visit_id: str, step_id: str, number: int) -> str:
    return f"{visit_id}#{step_id}-{number}"


@dataclass(frozen=True)
class ItemRef:
    """An item id as typed: the visit part may be a unique start or end of the visit id."""

    visit: str
    step_id: str
    number: int


def parse_item_ref(text: str) -> ItemRef:
    match = _ITEM_ID.match(text.strip())
    if match is None:
        raise UserInputError(
            f"{text!r} is not a follow-up id (expected VISIT#STEP-N, "
            "e.g. 20240512T083012Z-K3M9Q2XAB7#problems_found-2, or XAB7#problems_found-2)"
        )
    return ItemRef(match["visit"].upper(), match["step"], int(match["n"]))


@dataclass(frozen=True)
class FollowUp:
    """One problem recorded in a visit, with who owns it, by when, and its closure if any."""

    item_id: str
    visit_id: str
    step_id: str
    number: int
    kind: str  # the checklist kind: turnup, inspection, visit, repair, tools
    checklist_id: str
    visit_status: str
    customer: str
    engineer: str
    problem: str
    owner: str
    due: date | None
    overdue: bool  # open, and due before the day it was read for
    closed_at: datetime | None = None
    closed_by: str | None = None
    closing_note: str | None = None

    @property
    def status(self) -> str:
        """open, overdue or closed."""
        if self.closed_at is not None:
            return "closed"
        return "overdue" if self.overdue else "open"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.item_id,
            "status": self.status,
            "visit_id": self.visit_id,
            "step_id": self.step_id,
            "number": self.number,
            "kind": self.kind,
            "checklist_id": self.checklist_id,
            "visit_status": self.visit_status,
            "customer": self.customer,
            "engineer": self.engineer,
            "problem": self.problem,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "closed_by": self.closed_by,
            "closing_note": self.closing_note,
        }

    def closed_by_closure(self, closure: Closure) -> FollowUp:
        return replace(
            self,
            overdue=False,
            closed_at=closure.closed_at,
            closed_by=closure.closed_by,
            closing_note=closure.note,
        )


def followup_items(record: VisitRecord, today: date) -> list[FollowUp]:
    """Every item of every followups step of the record, whatever the checklist's kind and the
    visit's status (an aborted visit's problems are still problems), all open."""
    items: list[FollowUp] = []
    for answer in record.answers:
        if answer.step_type != FOLLOWUPS_STEP_TYPE or not isinstance(answer.value, list):
            continue
        for number, item in enumerate(answer.value, start=1):
            if not isinstance(item, dict):
                continue
            due = _parse_date(item.get("due"))
            items.append(
                FollowUp(
                    item_id=item_id(record.visit_id, answer.step_id, number),
                    visit_id=record.visit_id,
                    step_id=answer.step_id,
                    number=number,
                    kind=record.checklist.kind,
                    checklist_id=record.checklist.id,
                    visit_status=record.status.value,
                    customer=record.customer,
                    engineer=record.engineer,
                    problem=_text_or_empty(item.get("problem")),
                    owner=_text_or_empty(item.get("owner")),
                    due=due,
                    overdue=due is not None and due < today,
                )
            )
    return items


def find_item(record: VisitRecord, ref: ItemRef) -> dict[str, Any] | None:
    """The raw item `ref` names in the record, or None."""
    answer = record.answer_for(ref.step_id)
    if answer is None or answer.step_type != FOLLOWUPS_STEP_TYPE:
        return None
    value = answer.value
    if not isinstance(value, list) or ref.number > len(value):
        return None
    item = value[ref.number - 1]
    return item if isinstance(item, dict) else None


def is_sealed(record: VisitRecord) -> bool:
    """Only the items of a finished visit keep their place for good: they may be closed."""
    return record.status is not VisitStatus.IN_PROGRESS


def _text_or_empty(value: Any) -> str:
    return "" if value is None else str(value)


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
