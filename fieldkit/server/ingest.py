"""Accepting a pushed visit: every check, then one transaction (the HTTP layer only maps
`Refused` to its status code)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from fieldkit.errors import FieldkitError, ValidationFailed
from fieldkit.records.loading import parse_checked_record
from fieldkit.records.models import VisitStatus
from fieldkit.safeio import parse_json
from fieldkit.server import db
from fieldkit.server.derived import Derived


@dataclass
class Refused(Exception):
    status: int
    reason: str


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def ingest_visit(
    engine: Engine, derived: Derived, user: db.User, visit_id: str, body: bytes
) -> bool:
    """Store a pushed visit.json; True when stored now, False when the same visit (same
    digest) was already there."""
    try:
        checked = parse_checked_record(body, f"visit {visit_id}")
    except ValidationFailed as error:
        raise Refused(422, "; ".join(error.problems)) from None
    except FieldkitError as error:
        raise Refused(422, str(error)) from None
    record = checked.record
    if record.visit_id != visit_id:
        raise Refused(422, f"the record's visit_id is {record.visit_id}, not {visit_id}")
    if record.status is VisitStatus.IN_PROGRESS:
        raise Refused(422, "a visit in progress is never accepted; finish or abort it first")
    if not checked.digest_ok:
        raise Refused(422, "its digest does not match its content (changed after completion)")
    if not _same_person(record.engineer, user.name):
        raise Refused(403, f"a token of {user.name} may push only {user.name}'s own visits")
    assert record.digest is not None
    wanted = {
        attachment.sha256: attachment.name
        for answer in record.answers
        for attachment in answer.attachments
    }
    content = parse_json(body)  # already checked whole by parse_checked_record
    for attempt in (1, 2):
        with engine.begin() as conn:
            stored = db.stored_visit(conn, visit_id)
            if stored is not None:
                if stored.digest == record.digest:
                    return False
                raise Refused(409, "changed after completion: the centre holds another version")
            missing = db.missing_blobs(conn, set(wanted))
            if missing:
                names = ", ".join(sorted(wanted[digest] for digest in missing))
                raise Refused(422, f"attachments not uploaded first: {names}")
            try:
                db.insert_visit(conn, record, content, derived, pushed_by=user.name,
                                team=user.team)  # fmt: skip
                return True
            except IntegrityError:
                if attempt == 2:
                    raise
        # Another push of the same visit won the race: the next round says which it was.
    raise AssertionError("unreachable")


def ingest_closure(engine: Engine, user: db.User, body: bytes) -> bool:
    """Store a pushed follow-up closure; True when stored now, False when already there.
    Anyone who may read the visit may close its items (the engineer, their supervisor)."""
    from fieldkit.followups.closures import MAX_NOTE_CHARS, ClosureUnreadable, parse_closure

    try:
        closure = parse_closure(body, "closure")
    except ClosureUnreadable as error:
        raise Refused(422, str(error)) from None
    assert closure.digest is not None
    with engine.begin() as conn:
        problem = db.followup_problem(conn, closure.item_id, db.VisitScope.of(user))
        if problem is None:
            # The same answer whether the item does not exist or this token may not see it.
            raise Refused(404, f"no follow-up {closure.item_id} (push its visit first)")
        if closure.problem != problem[:MAX_NOTE_CHARS]:
            raise Refused(422, f"the closure names the problem {closure.problem!r}, but the "
                               f"centre's record reads {problem!r}")  # fmt: skip
        stored = db.closure_digest(conn, closure.item_id)
        if stored is not None:
            if stored == closure.digest:
                return False
            raise Refused(409, "the centre holds another closure of this item")
        db.insert_closure(conn, closure.item_id, closure.digest, parse_json(body),
                          closure.closed_at, user.name)  # fmt: skip
    return True
