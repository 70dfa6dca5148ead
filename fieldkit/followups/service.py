"""What the `followups` commands do: list the items of many records, close one item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from fieldkit import __version__
from fieldkit.errors import UserInputError
from fieldkit.followups.closures import (
    MAX_NOTE_CHARS,
    Closure,
    ClosureSet,
    ClosureUnreadable,
    closure_path,
    read_closure_file,
    read_closures,
    remove_leftover_temp_files,
)
from fieldkit.followups.items import (
    FollowUp,
    find_item,
    followup_items,
    is_sealed,
    item_id,
    parse_item_ref,
)
from fieldkit.records.atomic import SaveFailed, make_private_dir, write_atomic
from fieldkit.records.models import VisitRecord, verify_digest
from fieldkit.records.sources import NoteKind, SourceReport, VisitReader
from fieldkit.records.store import RecordStore, local_now
from fieldkit.safezip import ZipLimits

Which = Literal["all", "open", "overdue"]
_STATUS_ORDER = {"overdue": 0, "open": 1, "closed": 2}


class UnknownItem(UserInputError):
    """No follow-up item with that id."""


class AlreadyClosed(UserInputError):
    """The item has a closure already."""


@dataclass(frozen=True)
class ItemsOf:
    """`prepare` for the visit reader (picklable, for worker processes): a record's items."""

    today: date

    def __call__(self, record: VisitRecord) -> list[FollowUp]:
        return followup_items(record, self.today)


@dataclass
class Listing:
    items: list[FollowUp]
    sources: SourceReport  # what reading the records and closures noted


def list_followups(
    sources: list[Path],
    *,
    today: date,
    which: Which = "all",
    limits: ZipLimits | None = None,
    workers: int = 1,
) -> Listing:
    """Every follow-up item of the records in `sources` (folders and bundles), with its
    closure if one was read, overdue first, then open, then closed; each group by due date."""
    closures = read_closures(sources, limits)
    reader: VisitReader[list[FollowUp]] = VisitReader(
        sources, limits=limits, prepare=ItemsOf(today), workers=workers
    )
    items = [item for visit in reader for item in closures.apply(visit.item)]
    note_closure_problems(closures, reader.report)
    if which != "all":
        wanted = {"open": ("open", "overdue"), "overdue": ("overdue",)}[which]
        items = [item for item in items if item.status in wanted]
    items.sort(key=listing_order)
    return Listing(items, reader.report)


def listing_order(item: FollowUp) -> tuple[int, date, float, str]:
    """Overdue first, then open, then closed; each group by due date (the server's listing
    sorts by this too)."""
    return (
        _STATUS_ORDER[item.status],
        item.due or date.max,
        item.closed_at.timestamp() if item.closed_at else 0.0,
        item.item_id,
    )


def note_closure_problems(closures: ClosureSet, report: SourceReport) -> None:
    """Closure files that were skipped, as notes of the report on its sources."""
    for where, reason in closures.problems:
        report.note(NoteKind.INVALID, where, reason)
    not_kept = closures.problem_count - len(closures.problems)
    if not_kept:
        report.counts[NoteKind.INVALID] += not_kept


def close_item(
    store: RecordStore,
    text: str,
    note: str,
    *,
    closed_by: str | None = None,
    now: datetime | None = None,
) -> Closure:
    """Record that the item `text` names is done, as a closure file beside the records."""
    ref = parse_item_ref(text)
    note = _checked_text("--note", note)
    if not any(char.isalnum() for char in note):
        raise UserInputError("--note: say in words how the follow-up was closed")
    if len(note) > MAX_NOTE_CHARS:
        raise UserInputError(f"--note: at most {MAX_NOTE_CHARS} characters")
    if closed_by is not None:
        closed_by = _checked_text("the closing engineer's name", closed_by)
    visit_id = store.resolve(ref.visit)
    record = store.load(visit_id)
    full_id = item_id(visit_id, ref.step_id, ref.number)
    raw = find_item(record, ref)
    if raw is None:
        raise UnknownItem(f"no follow-up {full_id}: visit {visit_id} has no such item")
    if not is_sealed(record):
        raise UserInputError(
            f"{full_id}: visit {visit_id} is in progress; its follow-ups can be closed "
            "once it is completed or aborted"
        )
    if not verify_digest(record):
        raise UserInputError(
            f"{full_id}: the record of visit {visit_id} was changed after it ended (its digest "
            "does not match); not closed"
        )
    path = closure_path(store.root, full_id)
    try:
        existing = read_closure_file(path) if path.exists() else None
    except ClosureUnreadable:
        existing = None  # a broken closure counts for nothing: the new one replaces it
    if existing is not None:
        raise AlreadyClosed(
            f"{full_id} was already closed at {existing.closed_at.isoformat(timespec='seconds')}"
        )
    closed_at = now or local_now()
    if record.finished_at is not None and closed_at < record.finished_at:
        raise UserInputError(
            f"{full_id}: this laptop's clock ({closed_at.isoformat(timespec='seconds')}) is "
            "before the visit ended; set the clock and close it again"
        )
    closure = Closure(
        item_id=full_id,
        visit_id=visit_id,
        step_id=ref.step_id,
        number=ref.number,
        problem=str(raw.get("problem") or "")[:MAX_NOTE_CHARS],
        closed_at=closed_at,
        closed_by=closed_by,
        note=note,
        fieldkit_version=__version__,
    ).sealed()
    try:
        make_private_dir(path.parent)
        remove_leftover_temp_files(path.parent)
        write_atomic(path, closure.model_dump_json(indent=1).encode("utf-8"))
    except OSError as error:
        raise SaveFailed(
            f"cannot save the closure of {full_id} in {path.parent}: {error.strerror or error}; "
            "the item stays open"
        ) from error
    return closure


def _checked_text(what: str, text: str) -> str:
    """Text typed by a person, stripped; refused when it cannot be stored as UTF-8 (bytes of
    another encoding typed at the terminal) or holds NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UserInputError(
            f"{what}: not valid text in this terminal's encoding; type it again"
        ) from None
    if "\x00" in text:
        raise UserInputError(f"{what}: contains a NUL character")
    return text.strip()
