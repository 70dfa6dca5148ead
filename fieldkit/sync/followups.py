"""`followups list|close --server`: the centre's follow-ups, listed and closed over HTTP.

A closure made here is the same small signed file a laptop writes (followups/closures.py),
sent to the server instead of saved beside local records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from fieldkit import __version__
from fieldkit.errors import UserInputError
from fieldkit.followups.closures import MAX_NOTE_CHARS, Closure
from fieldkit.followups.items import FollowUp, parse_item_ref
from fieldkit.sync.client import Api
from fieldkit.sync.login import Login
from fieldkit.sync.reports import load_json


def list_remote(login: Login, which: str, today: date, item: str | None = None) -> list[FollowUp]:
    query: list[tuple[str, str]] = [("which", which), ("today", today.isoformat())]
    if item is not None:
        query.append(("item", item))
    answer = Api(login.server, login.token).call("GET", "/api/v1/followups?" + urlencode(query))
    if answer.status != 200:
        raise UserInputError(f"the server refused the listing ({answer.status}): {answer.detail}")
    return [_item(content) for content in answer.json()]


def _item(content: dict[str, Any]) -> FollowUp:
    fields = {
        "item_id": content["id"], "visit_id": content["visit_id"],
        "step_id": content["step_id"], "number": content["number"], "kind": content["kind"],
        "checklist_id": content["checklist_id"], "visit_status": content["visit_status"],
        "customer": content["customer"], "engineer": content["engineer"],
        "problem": content["problem"], "owner": content["owner"], "due": content["due"],
        "overdue": content["status"] == "overdue", "closed_at": content["closed_at"],
        "closed_by": content["closed_by"], "closing_note": content["closing_note"],
    }  # fmt: skip
    found: FollowUp = load_json(FollowUp, fields)
    return found


def close_remote(
    login: Login, text: str, note: str, closed_by: str | None, now: datetime
) -> Closure:
    """Close the centre's follow-up `text` (its full id); 409 when it is closed already."""
    ref = parse_item_ref(text)
    note = note.strip()
    if not any(char.isalnum() for char in note):
        raise UserInputError("--note: say in words how the follow-up was closed")
    found = list_remote(login, "all", now.date(), f"{ref.visit}#{ref.step_id}-{ref.number}")
    if not found:
        raise UserInputError(
            f"no follow-up {text} on the centre's server that this token may see (give the "
            "full id, as `followups list --server` shows it)"
        )
    item = found[0]
    if item.closed_at is not None:
        raise UserInputError(f"{item.item_id} was already closed at {item.closed_at.isoformat()}")
    try:
        closure = Closure(
            item_id=item.item_id, visit_id=item.visit_id, step_id=item.step_id,
            number=item.number, problem=item.problem[:MAX_NOTE_CHARS], closed_at=now,
            closed_by=closed_by, note=note, fieldkit_version=__version__,
        ).sealed()  # fmt: skip
    except ValueError as error:  # pydantic's ValidationError: a note too long, a NUL
        reason = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        raise UserInputError(f"--note or --by: {reason}") from None
    answer = Api(login.server, login.token).call(
        "POST", "/api/v1/closures", closure.model_dump_json().encode("utf-8")
    )
    if answer.status not in (200, 201):
        raise UserInputError(f"the server refused the closure ({answer.status}): {answer.detail}")
    return closure
