"""Accepting pushed visits, one or a batch: every check, then one transaction (the HTTP layer
only maps `Refused` to its status code)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from fieldkit.errors import FieldkitError, ValidationFailed
from fieldkit.records.loading import check_record_content
from fieldkit.records.models import VisitRecord, VisitStatus
from fieldkit.safeio import JsonProblem, parse_json
from fieldkit.server import db
from fieldkit.server.service_levels import Current


@dataclass
class Refused(Exception):
    status: int
    reason: str


@dataclass(frozen=True)
class Pushed:
    """What became of one pushed visit: 201 stored now, 200 already there with the same
    digest, else the status and reason it was refused with (as `PUT /visits/{id}` answers)."""

    visit_id: str
    status: int
    detail: str = ""


# One batch is one transaction; a laptop sends fewer (fieldkit/sync/service.py BATCH_VISITS).
MAX_BATCH_VISITS = 200


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def ingest_visit(
    engine: Engine, levels: Current, user: db.User, visit_id: str, body: bytes
) -> bool:
    """Store a pushed visit.json; True when stored now, False when the same visit (same
    digest) was already there."""
    name = f"visit {visit_id}"
    try:
        content = parse_json(body)
    except JsonProblem as error:
        raise Refused(422, error.located(name)) from None
    [pushed] = _ingest(engine, levels, user, [(name, content)], expected_id=visit_id)
    if pushed.status not in (200, 201):
        raise Refused(pushed.status, pushed.detail)
    return pushed.status == 201


def ingest_batch(engine: Engine, levels: Current, user: db.User, body: bytes) -> list[Pushed]:
    """Store the visits of a batch (`{"visits": [visit.json content, ...]}`), each judged as
    `ingest_visit` judges it, all written in one transaction; what became of each, in order."""
    try:
        batch = parse_json(body)
    except JsonProblem as error:
        raise Refused(422, error.located("the batch")) from None
    visits = batch.get("visits") if isinstance(batch, dict) else None
    if not isinstance(visits, list):
        raise Refused(422, 'a batch is a JSON object {"visits": [visit record, ...]}')
    if len(visits) > MAX_BATCH_VISITS:
        raise Refused(413, f"a batch holds at most {MAX_BATCH_VISITS} visits")
    named = []
    for position, content in enumerate(visits):
        visit_id = content.get("visit_id") if isinstance(content, dict) else None
        named.append((visit_id if isinstance(visit_id, str) else f"visits[{position}]", content))
    return _ingest(engine, levels, user, named)


def _checked(content: Any, name: str, expected_id: str | None, user: db.User) -> VisitRecord:
    """The record, when it may be stored as far as its content and its pusher go."""
    try:
        checked = check_record_content(content, name)
    except ValidationFailed as error:
        raise Refused(422, "; ".join(error.problems)) from None
    except FieldkitError as error:
        raise Refused(422, str(error)) from None
    record = checked.record
    if expected_id is not None and record.visit_id != expected_id:
        raise Refused(422, f"the record's visit_id is {record.visit_id}, not {expected_id}")
    if record.status is VisitStatus.IN_PROGRESS:
        raise Refused(422, "a visit in progress is never accepted; finish or abort it first")
    if not checked.digest_ok:
        raise Refused(422, "its digest does not match its content (changed after completion)")
    if not _same_person(record.engineer, user.name):
        raise Refused(403, f"a token of {user.name} may push only {user.name}'s own visits")
    return record


def _ingest(
    engine: Engine, levels: Current, user: db.User, named: list[tuple[str, Any]],
    expected_id: str | None = None,
) -> list[Pushed]:  # fmt: skip
    results: list[Pushed | None] = []
    candidates: list[tuple[int, VisitRecord, dict[str, Any]]] = []
    for position, (name, content) in enumerate(named):
        try:
            record = _checked(content, name, expected_id, user)
        except Refused as refusal:
            results.append(Pushed(name, refusal.status, refusal.reason))
            continue
        results.append(None)
        candidates.append((position, record, content))
    for attempt in (1, 2):
        if not candidates:
            break
        try:
            with engine.begin() as conn:
                for position, pushed in _store(conn, levels, user, candidates):
                    results[position] = pushed
            break
        except IntegrityError:
            # Another push of one of these visits won the race: the next round says which.
            if attempt == 2:
                raise
    return [pushed for pushed in results if pushed is not None]


def _store(
    conn: Connection, levels: Current, user: db.User,
    candidates: list[tuple[int, VisitRecord, dict[str, Any]]],
) -> list[tuple[int, Pushed]]:  # fmt: skip
    derived = levels.derived(conn)
    held = db.stored_digests(conn, {record.visit_id for _, record, _ in candidates})
    names = {
        attachment.sha256: attachment.name
        for _, record, _ in candidates
        for answer in record.answers
        for attachment in answer.attachments
    }
    missing = db.missing_blobs(conn, set(names))
    decided: list[tuple[int, Pushed]] = []
    new: list[tuple[VisitRecord, dict[str, Any]]] = []
    for position, record, content in candidates:
        visit_id, digest = record.visit_id, record.digest
        assert digest is not None
        lacking = sorted({
            names[attachment.sha256] for answer in record.answers
            for attachment in answer.attachments if attachment.sha256 in missing
        })  # fmt: skip
        if visit_id in held and held[visit_id] == digest:
            pushed = Pushed(visit_id, 200)
        elif visit_id in held:
            pushed = Pushed(visit_id, 409, "changed after completion: the centre holds another "
                                           "version")  # fmt: skip
        elif lacking:
            pushed = Pushed(visit_id, 422, f"attachments not uploaded first: {', '.join(lacking)}")
        else:
            held[visit_id] = digest  # the same visit twice in one batch: the second is a no-op
            new.append((record, content))
            pushed = Pushed(visit_id, 201)
        decided.append((position, pushed))
    db.insert_visits(conn, new, derived, pushed_by=user.name, team=user.team)
    if new and levels.derived(conn) is not derived:
        # Published while these visits were derived: their limits were measured against the
        # old levels, and the publication's recomputation did not see them.
        raise Refused(503, "the centre's service levels changed meanwhile; push again")
    return decided


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
