"""Start a walk on a new visit, or pick an in-progress one up again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fieldkit.checklist.load import LoadedChecklist, checklist_from_text
from fieldkit.checklist.models import Checklist
from fieldkit.lang import Lang, resolve_lang
from fieldkit.records.models import ChecklistSnapshot, VisitFields, VisitRecord, VisitStatus
from fieldkit.records.store import RecordStore, local_now
from fieldkit.records.visit_handle import VisitFinished
from fieldkit.walk.machine import PingFunction, Walkthrough


def snapshot_of(loaded: LoadedChecklist) -> ChecklistSnapshot:
    """What a record keeps of the checklist it followed, so that a later edit cannot change it."""
    checklist = loaded.checklist
    return ChecklistSnapshot.from_source(
        loaded.source_text,
        id=checklist.id,
        version=checklist.version,
        kind=checklist.kind,
        title=checklist.title,
        file_sha256=loaded.sha256,
    )


def checklist_of(record: VisitRecord) -> Checklist:
    """The checklist exactly as the visit started with it (it was fully validated then)."""
    return checklist_from_text(record.checklist.source_text, f"{record.visit_id}:checklist")


def start_walk(
    store: RecordStore,
    loaded: LoadedChecklist,
    fields: VisitFields,
    *,
    ping: PingFunction,
    lang: Lang,
    clock: Callable[[], datetime] = local_now,
) -> Walkthrough:
    """Create the visit (saved, locked) and the walk over it, whose times come from `clock`
    (the visit's start time from the store's own clock)."""
    handle = store.create(fields, snapshot_of(loaded), lang=lang)
    try:
        return Walkthrough(loaded.checklist, handle, ping=ping, lang=lang, clock=clock)
    except BaseException:
        handle.close()
        raise


def resume_walk(
    store: RecordStore,
    visit_id: str,
    *,
    ping: PingFunction,
    lang: Lang | None,
    clock: Callable[[], datetime] = local_now,
) -> Walkthrough:
    """Open an in-progress visit (taking its lock) and continue where its record stops.

    `lang` None: the language the visit was started in (else FIELDKIT_LANG, then the locale)."""
    handle = store.open(visit_id)
    try:
        record = handle.record
        if record.status is not VisitStatus.IN_PROGRESS:
            raise VisitFinished(
                f"visit {record.visit_id} is {record.status.value}; only a visit in progress "
                "can be resumed"
            )
        lang = lang or record.lang or resolve_lang()
        return Walkthrough(checklist_of(record), handle, ping=ping, lang=lang, clock=clock)
    except BaseException:
        handle.close()
        raise


def in_progress(store: RecordStore) -> list[VisitRecord]:
    """Visits that can be resumed, newest first."""
    return list(store.iter_records(VisitStatus.IN_PROGRESS, on_error=lambda _error: None))
