"""Visits from the folders and bundles a supervisor collected, read one at a time.

What is read, in SOURCE order: every visit.json under a folder (recursively), and every
visit.json inside a bundle zip. What is kept:
- a file that is not a valid record is noted (file and reason) and skipped;
- a finished (completed or aborted) record whose digest does not match its content is noted as
  changed and skipped, unless `include_changed`;
- in a bundle, a record whose digest differs from the bundle's manifest, or that the manifest
  does not list, is noted and skipped unless `include_changed`; a listed visit missing from the
  bundle is noted;
- the same visit id read again is noted as a duplicate and counted once (the first copy kept
  wins: give the most trusted source first);
- then the filters decide.
None of this stops the report. Memory: one set of visit ids, plus at most `NOTES_KEPT`
notes of each kind (the counts stay exact).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from fieldkit.errors import FieldkitError, UserInputError, in_one_line
from fieldkit.records.loading import (
    MANIFEST_FILE,
    RECORD_FILE,
    iter_record_files,
    parse_checked_record,
    read_checked_record_file,
)
from fieldkit.records.models import VisitRecord, VisitStatus
from fieldkit.records.workers import read_in_order
from fieldkit.safeio import parse_json
from fieldkit.safezip import SafeZip, UnsafeZip, ZipLimits

NOTES_KEPT = 200
Item = TypeVar("Item")


class RecordFilter(Protocol):
    """Which records a reader keeps (the report's filters, fieldkit.report.filters); picklable
    for the worker processes."""

    def matches(self, record: VisitRecord) -> bool: ...


class EveryRecord:
    def matches(self, record: VisitRecord) -> bool:
        return True


class NoteKind(str, Enum):
    INVALID = "invalid"  # not a valid record: skipped
    CHANGED = "changed"  # digest does not match the content
    MANIFEST = "manifest"  # the bundle's manifest disagrees with its content
    DUPLICATE = "duplicate"  # the same visit read again: counted once
    UNSAFE = "unsafe"  # a zip or zip entry refused (path traversal, bomb, not a zip)
    EMPTY = "empty"  # a folder given as a source holds no record at all (a wrong folder?)


@dataclass(frozen=True)
class SourceNote:
    kind: NoteKind
    where: str  # a file path, or `bundle.zip!entry/name`
    message: str


@dataclass(frozen=True)
class Visit(Generic[Item]):
    """A record kept for the report: what `prepare` made of it, and where it was read from."""

    item: Item
    origin: str
    changed: bool = False  # only with include_changed: its digest or manifest entry disagrees


@dataclass
class SourceReport:
    """What reading the sources found, besides the visits themselves."""

    files_read: int = 0
    visits_kept: int = 0
    filtered_out: int = 0
    counts: Counter[NoteKind] = field(default_factory=Counter)
    notes: list[SourceNote] = field(default_factory=list)
    changed_included: int = 0

    def note(self, kind: NoteKind, where: str, message: str) -> None:
        self.counts[kind] += 1
        if self.counts[kind] <= NOTES_KEPT:
            self.notes.append(SourceNote(kind, where, message))

    def to_json(self) -> dict[str, Any]:
        return {
            "files_read": self.files_read,
            "visits_kept": self.visits_kept,
            "filtered_out": self.filtered_out,
            "changed_included": self.changed_included,
            "counts": {kind.value: self.counts.get(kind, 0) for kind in NoteKind},
            "notes": [
                {"kind": note.kind.value, "where": note.where, "message": note.message}
                for note in self.notes
            ],
            "notes_kept_per_kind": NOTES_KEPT,
        }


Progress = Callable[[int], None]


def check_sources(sources: list[Path]) -> None:
    """Refuse a SOURCE that is neither a folder nor a file, before any work starts."""
    if not sources:
        raise UserInputError("give at least one SOURCE: a records folder or a bundle zip")
    for source in sources:
        if not source.exists():
            raise UserInputError(f"{source}: no such file or folder")
        if not (source.is_dir() or source.is_file()):
            raise UserInputError(f"{source}: not a folder or a file")


def count_record_files(sources: list[Path]) -> int:
    """How many record files the sources hold (for a progress bar; bundles count their entries)."""
    total = 0
    for source in sources:
        if source.is_dir():
            total += sum(1 for _ in iter_record_files(source))
        else:
            try:
                with SafeZip(source) as bundle:
                    total += len(bundle.named(RECORD_FILE))
            except UnsafeZip:
                total += 1
    return total


@dataclass(frozen=True)
class RecordJob:
    """One record file to read: a file, or the bytes of a zip entry."""

    where: str
    path: Path | None = None
    data: bytes | None = None


@dataclass(frozen=True)
class ReadOutcome(Generic[Item]):
    """What reading one record file found; `item` is what `prepare` made of a kept record."""

    where: str
    problem: str | None = None  # not a valid record: the reason
    visit_id: str = ""
    digest: str | None = None
    finished: bool = False  # completed or aborted: its digest must match its content
    digest_ok: bool = False
    matches: bool = False  # passes the filters
    item: Item | None = None


@dataclass(frozen=True)
class RecordReading(Generic[Item]):
    """How each record file is read: the part of the work that needs the record itself.

    Runs where the file is read, in this process or in a worker (see workers.py), so it is
    plain data and a picklable `prepare`; what `prepare` returns is all the rest of the
    report sees of the record."""

    filters: RecordFilter
    include_changed: bool
    prepare: Callable[[VisitRecord], Item]

    def read(self, job: RecordJob) -> ReadOutcome[Item]:
        try:
            if job.path is not None:
                checked = read_checked_record_file(job.path)
            else:
                checked = parse_checked_record(job.data or b"", job.where)
        except FieldkitError as error:
            return ReadOutcome(job.where, problem=_reason(error, job.where))
        record = checked.record
        finished = record.status is not VisitStatus.IN_PROGRESS
        matches = self.filters.matches(record)
        # A record that will surely be left out is not prepared; duplicates and manifest
        # problems are only known to the reader, in SOURCE order.
        wanted = matches and (checked.digest_ok or not finished or self.include_changed)
        return ReadOutcome(
            job.where,
            visit_id=record.visit_id,
            digest=record.digest,
            finished=finished,
            digest_ok=checked.digest_ok,
            matches=matches,
            item=self.prepare(record) if wanted else None,
        )


def record_as_is(record: VisitRecord) -> VisitRecord:
    """The default `prepare`: the record itself."""
    return record


# What the reader does, in SOURCE order, with the outcome of a job (None: no job, only a note).
Handler = Callable[[ReadOutcome[Item] | None], "Visit[Item] | None"]


class VisitReader(Generic[Item]):
    """Iterate once over the kept visits; `report` is complete when the iteration ends.

    With `workers` > 1, files beyond the first few hundred are read (and prepared) by that
    many worker processes (see workers.py); every decision that depends on the order of
    the sources (duplicates, manifests, notes) is taken here, in that order, so the result
    is the same however the files were read."""

    def __init__(
        self,
        sources: list[Path],
        *,
        filters: RecordFilter | None = None,
        include_changed: bool = False,
        limits: ZipLimits | None = None,
        on_file: Progress | None = None,
        prepare: Callable[[VisitRecord], Item] = record_as_is,  # type: ignore[assignment]
        workers: int = 1,
    ) -> None:
        check_sources(sources)
        self.sources = sources
        self.filters = filters or EveryRecord()
        self.include_changed = include_changed
        self.limits = limits or ZipLimits()
        self.on_file = on_file
        self.reading = RecordReading(self.filters, include_changed, prepare)
        self.workers = workers
        self.report = SourceReport()
        self._seen_ids: set[str] = set()

    def __iter__(self) -> Iterator[Visit[Item]]:
        outcomes = read_in_order(self._jobs(), self.reading, workers=self.workers)
        for handle, outcome in outcomes:
            visit = handle(outcome)
            if visit is not None:
                yield visit

    def _jobs(self) -> Iterator[tuple[Handler[Item], RecordJob | None]]:
        for source in self.sources:
            if source.is_dir():
                found = False
                for path in iter_record_files(source):
                    found = True
                    yield self._admit_file, RecordJob(str(path), path=path)
                if not found:
                    message = "no visit.json in this folder or its subfolders"
                    yield self._notes([(NoteKind.EMPTY, str(source), message)]), None
            else:
                yield from self._bundle_jobs(source)

    def _admit_file(self, outcome: ReadOutcome[Item] | None) -> Visit[Item] | None:
        assert outcome is not None
        self._file_done()
        if outcome.problem is not None:
            self.report.note(NoteKind.INVALID, outcome.where, outcome.problem)
            return None
        return self._admit(outcome, manifest_problem=None)

    def _bundle_jobs(self, path: Path) -> Iterator[tuple[Handler[Item], RecordJob | None]]:
        try:
            bundle = SafeZip(path, self.limits)
        except UnsafeZip as error:
            yield self._notes([(NoteKind.UNSAFE, str(path), str(error))], file_done=True), None
            return
        with bundle:
            notes = [(NoteKind.UNSAFE, f"{path}!{name}", reason) for name, reason in bundle.unsafe]
            manifest = self._read_manifest(bundle, notes)
            yield self._notes(notes), None
            listed = set(manifest) if manifest is not None else set()

            def admit(outcome: ReadOutcome[Item] | None) -> Visit[Item] | None:
                assert outcome is not None
                self._file_done()
                if outcome.problem is not None:
                    self.report.note(NoteKind.INVALID, outcome.where, outcome.problem)
                    return None
                problem = None
                if manifest is not None:
                    listed.discard(outcome.visit_id)
                    problem = _manifest_problem(manifest, outcome.visit_id, outcome.digest)
                return self._admit(outcome, manifest_problem=problem)

            for info in bundle.named(RECORD_FILE):
                where = f"{path}!{info.filename}"
                try:
                    data = bundle.read(info)
                except UnsafeZip as error:
                    yield self._notes([(NoteKind.UNSAFE, where, str(error))], file_done=True), None
                    continue
                yield admit, RecordJob(where, data=data)

            def missing(_: ReadOutcome[Item] | None) -> None:
                for visit_id in sorted(listed):
                    self.report.note(
                        NoteKind.MANIFEST,
                        f"{path}!{MANIFEST_FILE}",
                        f"lists visit {visit_id}, which the bundle does not hold",
                    )

            yield missing, None

    def _notes(
        self, notes: list[tuple[NoteKind, str, str]], *, file_done: bool = False
    ) -> Handler[Item]:
        """A handler that counts a file (if asked) and makes the notes, in its turn."""

        def note(_: ReadOutcome[Item] | None) -> None:
            if file_done:
                self._file_done()
            for kind, where, message in notes:
                self.report.note(kind, where, message)

        return note

    def _read_manifest(
        self, bundle: SafeZip, notes: list[tuple[NoteKind, str, str]]
    ) -> dict[str, str | None] | None:
        """visit id -> digest from the bundle's top-level manifest.json.

        None (noted) when there is none, e.g. a records folder zipped by hand: its records are
        checked by their own digests only. An unreadable manifest gives {} (noted), so that
        every record of the bundle counts as unlisted."""
        where = f"{bundle.path}!{MANIFEST_FILE}"
        entries = [info for info in bundle.named(MANIFEST_FILE) if "/" not in info.filename]
        if not entries:
            notes.append(
                (NoteKind.MANIFEST, where, "no manifest: records checked by their own digests only")
            )
            return None
        try:
            return manifest_digests(parse_json(bundle.read(entries[0])))
        except (UnsafeZip, ValueError) as error:  # JsonProblem is a ValueError
            notes.append((NoteKind.MANIFEST, where, f"unreadable manifest: {error}"))
            return {}

    def _admit(
        self, outcome: ReadOutcome[Item], manifest_problem: str | None
    ) -> Visit[Item] | None:
        """Apply the digest, manifest, duplicate and filter rules to one valid record."""
        changed = False
        if outcome.finished and not outcome.digest_ok:
            changed = True
            kept = "kept (--include-changed)" if self.include_changed else "left out"
            self.report.note(
                NoteKind.CHANGED,
                outcome.where,
                f"visit {outcome.visit_id}: its content does not match its digest; {kept}",
            )
        if manifest_problem is not None:
            changed = True
            kept = "kept (--include-changed)" if self.include_changed else "left out"
            self.report.note(NoteKind.MANIFEST, outcome.where, f"{manifest_problem}; {kept}")
        if changed and not self.include_changed:
            return None
        if outcome.visit_id in self._seen_ids:
            self.report.note(
                NoteKind.DUPLICATE,
                outcome.where,
                f"visit {outcome.visit_id} was already read; counted once",
            )
            return None
        self._seen_ids.add(outcome.visit_id)
        if not outcome.matches:
            self.report.filtered_out += 1
            return None
        self.report.visits_kept += 1
        self.report.changed_included += changed
        assert outcome.item is not None  # prepared: it matches, and changed only if included
        return Visit(outcome.item, outcome.where, changed)

    def _file_done(self) -> None:
        self.report.files_read += 1
        if self.on_file is not None:
            self.on_file(self.report.files_read)


def manifest_digests(data: Any) -> dict[str, str | None]:
    """visit id -> digest, from a manifest's `visits` list of {visit_id, digest, ...}."""
    visits = data.get("visits") if isinstance(data, dict) else None
    if not isinstance(visits, list):
        raise ValueError("expected an object with a 'visits' list")
    digests: dict[str, str | None] = {}
    for entry in visits:
        if not isinstance(entry, dict) or not isinstance(entry.get("visit_id"), str):
            raise ValueError("every manifest entry needs a visit_id")
        digest = entry.get("digest")
        digests[entry["visit_id"]] = digest if isinstance(digest, str) else None
    return digests


def _manifest_problem(
    manifest: dict[str, str | None], visit_id: str, digest: str | None
) -> str | None:
    if visit_id not in manifest:
        return f"visit {visit_id} is not listed in the bundle's manifest"
    if manifest[visit_id] != digest:
        return f"visit {visit_id}: its digest differs from the bundle's manifest"
    return None


def _reason(error: FieldkitError, where: str) -> str:
    """The loader's message without the file name it starts with (the note names the file)."""
    message = in_one_line(error)
    for prefix in (f"{where}: ", f"{where}:"):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message
