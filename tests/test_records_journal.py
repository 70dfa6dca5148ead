"""The answer journal: every save reads back exactly, whatever the kind of change."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from records_factory import CHINA, answers, completed, fields, snapshot

from fieldkit.records import journal
from fieldkit.records.atomic import SaveFailed
from fieldkit.records.journal import JOURNAL_FILE
from fieldkit.records.models import Note, StepAnswer, VisitRecord, verify_digest
from fieldkit.records.store import RecordStore
from fieldkit.records.visit_handle import VisitHandle

START = datetime(2024, 5, 12, 9, 30, tzinfo=CHINA)


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    return RecordStore(tmp_path, clock=lambda: START)


def test_every_kind_of_change_reads_back_as_saved(store: RecordStore) -> None:
    full = answers(START)
    later = START + timedelta(minutes=3)
    revised = full[0].model_copy(update={"value": "127.0.0.9", "answered_at": later})
    noted = full[1].model_copy(update={"notes": [*full[1].notes, Note(text="再次确认", at=later)]})
    skipped = StepAnswer(step_id="x", step_type="check", skipped=True, skip_reason="no access")
    steps = [
        {"answers": full[:1]},
        {"answers": full[:3]},
        {"answers": full[:1]},  # `back` twice: later answers dropped
        {"answers": [revised]},  # the revised answer
        {"answers": [revised, noted, skipped]},
        {"site": "新地址", "order": None},  # visit fields corrected
        {"answers": [revised, noted]},
    ]
    with store.create(fields(), snapshot()) as handle:
        for update in steps:
            saved = handle.save(handle.record.model_copy(update=update))
            assert store.load(handle.visit_id) == saved
        assert (handle.folder / JOURNAL_FILE).exists()
        finished = handle.save(completed(handle.record, START))
    assert not (handle.folder / JOURNAL_FILE).exists()  # folded into visit.json at the end
    assert store.load(handle.visit_id) == finished


def test_an_answer_changed_in_place_is_still_saved(store: RecordStore) -> None:
    with store.create(fields(), snapshot()) as handle:
        record = handle.save(handle.record.model_copy(update={"answers": answers(START)}))
        record.answers[1].notes.append(Note(text="added later", at=START))
        handle.save(record)
    assert [n.text for n in store.load(handle.visit_id).answers[1].notes][-1] == "added later"


def test_the_first_save_after_opening_folds_the_journal_into_visit_json(store: RecordStore) -> None:
    with store.create(fields(), snapshot()) as handle:
        handle.save(handle.record.model_copy(update={"answers": answers(START)}))
    raw = json.loads((handle.folder / "visit.json").read_text("utf-8"))
    assert raw["answers"] == []  # still in the journal
    with store.open(handle.visit_id) as reopened:
        assert len(reopened.record.answers) == 3
        reopened.save(reopened.record.model_copy(update={"site": "改"}))
    assert not (handle.folder / JOURNAL_FILE).exists()
    raw = json.loads((handle.folder / "visit.json").read_text("utf-8"))
    assert len(raw["answers"]) == 3


def test_a_journal_for_an_older_visit_json_is_ignored() -> None:
    """A crash between rewriting visit.json and deleting the journal: the journal is stale."""
    line = journal.entry(1, {"site": "stale"}, 0, {})
    stale = journal.header("0" * 64) + line
    assert journal.replay({"site": "now", "answers": []}, stale, "1" * 64) == (
        {"site": "now", "answers": []},
        0,
    )
    current = journal.header("1" * 64) + line
    assert journal.replay({"site": "now", "answers": []}, current, "1" * 64)[0]["site"] == "stale"


def test_replay_stops_at_a_torn_or_out_of_order_line() -> None:
    base = {"answers": []}
    first = journal.entry(1, {}, 1, {0: {"step_id": "a"}})
    second = journal.entry(2, {}, 2, {1: {"step_id": "b"}})
    head = journal.header("s")
    assert journal.replay(base, head + first + second[:-5], "s")[1] == 1
    assert journal.replay(base, head + second + first, "s")[1] == 0
    with_hole = journal.entry(1, {}, 2, {1: {"step_id": "b"}})  # answer 0 never given
    assert journal.replay(base, head + with_hole, "s")[1] == 0


def test_a_tampered_answer_count_is_not_applied_and_allocates_nothing() -> None:
    """A line claiming 10^10 answers used to build a set of them: the process ran out of memory."""
    pytest.importorskip("resource")  # POSIX: the memory limit
    script = (
        "import resource; from fieldkit.records import journal\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "huge = journal.entry(1, {}, 10**10, {0: {'step_id': 'a'}})\n"
        "print(journal.replay({'answers': []}, journal.header('s') + huge, 's')[1])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, "0\n"), done.stderr


def test_a_journal_that_could_not_be_deleted_is_not_applied_again(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows refuses to delete a file a reader holds open: the journal stays, stale."""
    real_unlink = Path.unlink

    def held_open(path: Path, missing_ok: bool = False) -> None:
        if path.name == JOURNAL_FILE:
            raise PermissionError(13, "in use", str(path))
        real_unlink(path, missing_ok)

    with store.create(fields(), snapshot()) as handle:
        handle.save(handle.record.model_copy(update={"answers": answers(START)[:2]}))
        monkeypatch.setattr(Path, "unlink", held_open)
        finished = completed(handle.record, START).model_copy(
            update={"answers": answers(START)[:1]}
        )
        handle.save(finished)
    assert (handle.folder / JOURNAL_FILE).exists()
    on_disk = store.load(handle.visit_id)
    assert len(on_disk.answers) == 1 and verify_digest(on_disk)


def test_a_checklist_snapshot_that_does_not_match_its_sha256_is_never_saved(
    store: RecordStore,
) -> None:
    """The handle checks its snapshot's sha256 once, not on every save: another snapshot,
    given with a save, is still checked."""
    with store.create(fields(), snapshot()) as handle:
        saved = handle.save(handle.record.model_copy(update={"answers": answers(START)[:1]}))
        forged = handle.record.checklist.model_copy(
            update={"source_text": handle.record.checklist.source_text + "# edited\n"}
        )
        with pytest.raises(SaveFailed, match="sha256 does not match source_text"):
            handle.save(handle.record.model_copy(update={"checklist": forged}))
        assert handle.record == saved
    assert store.load(handle.visit_id) == saved


# A record's answers as steps of a walk change them: a position's answer replaced (by one with
# another value, a note more, or the same content in a new object), answers added, removed or
# inserted, the list cut back (`back`), a visit field corrected, or nothing changed.
_EDITS = st.one_of(
    st.tuples(st.just("value"), st.integers(0, 20), st.sampled_from(["a", "b", 1, 2.5, None])),
    st.tuples(st.just("note"), st.integers(0, 20)),
    st.tuples(st.just("same"), st.integers(0, 20)),
    st.tuples(st.just("append"), st.sampled_from(["a", "b", True])),
    st.tuples(st.just("insert"), st.integers(0, 20), st.sampled_from(["a", "c"])),
    st.tuples(st.just("remove"), st.integers(0, 20)),
    st.tuples(st.just("cut"), st.integers(0, 6)),
    st.tuples(st.just("site"), st.sampled_from(["一号楼", "二号楼"])),
    st.tuples(st.just("nothing")),
)


def _edited(record: VisitRecord, edit: tuple[Any, ...]) -> VisitRecord:
    """The record after one edit, made as the walk makes it: by new objects, never in place."""
    kind, *args = edit
    listed = list(record.answers)
    at = START + timedelta(seconds=len(listed))
    if kind == "site":
        return record.model_copy(update={"site": args[0]})
    if kind == "append":
        fresh = StepAnswer(step_id=f"s{len(listed)}", step_type="record", value=args[0])
        listed.append(fresh.model_copy(update={"answered_at": at}))
    elif kind == "cut":
        del listed[args[0] :]
    elif kind == "insert":
        position = args[0] % (len(listed) + 1)
        listed.insert(position, StepAnswer(step_id="new", step_type="record", value=args[1]))
    elif listed and kind != "nothing":
        position = args[0] % len(listed)
        old = listed[position]
        if kind == "value":
            listed[position] = old.model_copy(update={"value": args[1], "answered_at": at})
        elif kind == "note":
            noted = [*old.notes, Note(text="再看", at=at)]
            listed[position] = old.model_copy(update={"notes": noted})
        elif kind == "same":
            listed[position] = old.model_copy()
        else:
            del listed[position]
    return record.model_copy(update={"answers": listed})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(_EDITS, min_size=1, max_size=25))
def test_saving_only_replaced_answers_journals_what_comparing_every_answer_journals(
    edits: list[tuple[Any, ...]],
) -> None:
    """The walk tells the store that it replaces answers and never changes one in place; the
    store then compares only the answers that are new objects. For any sequence of edits that
    must journal exactly the lines that comparing every answer with the saved one journals."""
    with tempfile.TemporaryDirectory() as folder:
        stores = [RecordStore(Path(folder) / name, clock=lambda: START) for name in "ab"]
        compared, replaced = (store.create(fields(), snapshot()) for store in stores)
        with compared, replaced:
            for edit in edits:
                compared.save(_edited(compared.record, edit))
                replaced.save(_edited(replaced.record, edit), answers_replaced=True)
                assert _entries(replaced) == _entries(compared)
                assert _content(stores[1].load(replaced.visit_id)) == _content(compared.record)
                assert _content(replaced.record) == _content(compared.record)


def _entries(handle: VisitHandle) -> list[bytes]:
    """The journal's lines after its header (which names each visit's own visit.json)."""
    path = handle.folder / JOURNAL_FILE
    return path.read_bytes().split(b"\n")[1:] if path.exists() else []


def _content(record: VisitRecord) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude={"visit_id", "started_at"})
