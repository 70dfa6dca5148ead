"""The visit store: atomic saves, full disk, permissions, locks, attachments."""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from records_factory import CHINA, answers, completed, fields, snapshot

from fieldkit.errors import UserInputError
from fieldkit.records.atomic import SaveFailed
from fieldkit.records.loading import read_record_file
from fieldkit.records.lock import LOCK_FILE, VisitLocked
from fieldkit.records.models import VisitStatus, verify_digest
from fieldkit.records.store import RecordStore, VisitNotFound
from fieldkit.records.visit_handle import VisitFinished

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX permissions and pids")
START = datetime(2024, 5, 12, 9, 30, tzinfo=CHINA)


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    return RecordStore(tmp_path / "records", clock=lambda: START)


def test_a_created_visit_is_on_disk_in_progress_and_loads_back(store: RecordStore) -> None:
    with store.create(fields(), snapshot()) as handle:
        visit_id = handle.visit_id
    record = store.load(visit_id)
    assert record.status is VisitStatus.IN_PROGRESS
    assert record.customer == "深圳某银行"
    assert record.checklist.source_text.startswith("schema: 1")
    assert record.started_at == START
    assert (store.root / visit_id / "visit.json").is_file()


def test_every_save_is_readable_and_holds_the_answers_so_far(store: RecordStore) -> None:
    with store.create(fields(), snapshot()) as handle:
        for count in range(1, 4):
            handle.save(handle.record.model_copy(update={"answers": answers(START)[:count]}))
            on_disk = read_record_file(handle.folder / "visit.json")
            assert [a.step_id for a in on_disk.answers] == [
                a.step_id for a in answers(START)[:count]
            ]


def _crash(*_: object) -> None:
    raise KeyboardInterrupt  # stands for the process dying at this point


def test_a_crash_before_visit_json_is_replaced_leaves_the_previous_record(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.create(fields(), snapshot()) as handle:
        handle.save(handle.record.model_copy(update={"answers": answers(START)[:1]}))
        monkeypatch.setattr(os, "replace", _crash)
        with pytest.raises(KeyboardInterrupt):  # completing rewrites visit.json whole
            handle.save(completed(handle.record, START))
        monkeypatch.undo()
        on_disk = store.load(handle.visit_id)
        assert on_disk.status is VisitStatus.IN_PROGRESS and len(on_disk.answers) == 1
        assert [p.name for p in handle.folder.iterdir() if p.name.endswith(".tmp")] == []


def test_a_crash_halfway_through_appending_an_answer_keeps_the_confirmed_ones(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = store.create(fields(), snapshot())
    handle.save(handle.record.model_copy(update={"answers": answers(START)[:2]}))
    real_write = os.write

    def torn_write(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "write", torn_write)
    with pytest.raises(KeyboardInterrupt):
        handle.save(handle.record.model_copy(update={"answers": answers(START)}))
    monkeypatch.undo()
    assert len(store.load(handle.visit_id).answers) == 2
    handle._lock.release()  # the process is gone: no clean close
    with store.open(handle.visit_id) as resumed:  # resuming folds the journal into visit.json
        assert len(resumed.record.answers) == 2
        resumed.save(resumed.record.model_copy(update={"answers": answers(START)}))
    assert len(store.load(handle.visit_id).answers) == 3


def test_after_ctrl_c_halfway_through_a_save_the_next_save_is_not_lost(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.create(fields(), snapshot()) as handle:
        handle.save(handle.record.model_copy(update={"answers": answers(START)[:1]}))
        handle.save(handle.record.model_copy(update={"answers": answers(START)[:2]}))
        real_write = os.write

        def interrupted(fd: int, data: bytes) -> int:
            real_write(fd, bytes(data[:10]))
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "write", interrupted)
        with pytest.raises(KeyboardInterrupt):
            handle.save(handle.record.model_copy(update={"answers": answers(START)}))
        monkeypatch.undo()
        handle.save(handle.record.model_copy(update={"answers": answers(START)}))  # `quit` saves
    assert len(store.load(handle.visit_id).answers) == 3


def test_a_full_disk_keeps_the_previous_record_and_says_so(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.create(fields(), snapshot()) as handle:
        handle.save(handle.record.model_copy(update={"answers": answers(START)[:2]}))
        real_write = os.write

        def full_disk(fd: int, data: bytes) -> int:
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "write", full_disk)
        with pytest.raises(
            SaveFailed, match="disk full: answer not saved; the record still holds 2"
        ):
            handle.save(handle.record.model_copy(update={"answers": answers(START)}))
        monkeypatch.undo()
        assert len(store.load(handle.visit_id).answers) == 2
        # the handle still works once space is back
        handle.save(handle.record.model_copy(update={"answers": answers(START)}))
    assert len(store.load(handle.visit_id).answers) == 3


@posix_only
def test_records_are_private_to_the_user(store: RecordStore, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"jpeg")
    old_umask = os.umask(0o022)
    try:
        with store.create(fields(), snapshot()) as handle:
            handle.attach(photo)
            handle.save(handle.record.model_copy(update={"answers": answers(START)}))
            folder = handle.folder
    finally:
        os.umask(old_umask)
    for path in (store.root, folder, folder / "attachments"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    for path in (
        folder / "visit.json",
        folder / "visit.journal",
        folder / "attachments" / "photo.jpg",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_visit_open_in_one_handle_cannot_be_opened_again(store: RecordStore) -> None:
    busy = f"open in another fieldkit \\(pid {os.getpid()}\\)"
    with store.create(fields(), snapshot()) as handle, pytest.raises(VisitLocked, match=busy):
        store.open(handle.visit_id)
    with store.open(handle.visit_id) as reopened:  # released at the end of the with
        assert reopened.record.visit_id == handle.visit_id


@posix_only
def test_a_lock_left_by_a_dead_process_is_taken_over(store: RecordStore) -> None:
    with store.create(fields(), snapshot()) as handle:
        visit_id = handle.visit_id
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    lock = store.root / visit_id / LOCK_FILE
    lock.write_text(
        json.dumps(
            {"pid": int(dead.stdout), "host": socket.gethostname(), "started_at": START.isoformat()}
        )
    )
    with store.open(visit_id) as handle:
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists()


def test_a_lock_from_another_host_is_not_taken_over(store: RecordStore) -> None:
    with store.create(fields(), snapshot()) as handle:
        visit_id = handle.visit_id
    lock = store.root / visit_id / LOCK_FILE
    lock.write_text(json.dumps({"pid": 4242, "host": "other-laptop", "started_at": "x"}))
    with pytest.raises(VisitLocked, match="on other-laptop"):
        store.open(visit_id)


def test_a_completed_visit_is_sealed_and_cannot_change(store: RecordStore) -> None:
    with store.create(fields(), snapshot()) as handle:
        stored = handle.save(completed(handle.record, START))
        assert stored.digest is not None
        with pytest.raises(VisitFinished):
            handle.save(stored)
    assert verify_digest(store.load(handle.visit_id))


def test_abort_needs_a_visit_in_progress(store: RecordStore) -> None:
    with store.create(fields(), snapshot()) as handle:
        visit_id = handle.visit_id
    aborted = store.abort(visit_id, "客户不在")
    assert aborted.status is VisitStatus.ABORTED and aborted.abort_reason == "客户不在"
    assert verify_digest(store.load(visit_id))
    with pytest.raises(VisitFinished):
        store.abort(visit_id, "again")


def test_visits_are_found_by_a_unique_start_or_end_of_their_id(store: RecordStore) -> None:
    with store.create(fields(), snapshot()) as first, store.create(fields(), snapshot()) as second:
        pass
    assert store.resolve(first.visit_id[-10:].lower()) == first.visit_id
    with pytest.raises(VisitNotFound, match="ambiguous"):
        store.resolve("2024")
    with pytest.raises(VisitNotFound, match="no visit"):
        store.resolve("nothing")
    with pytest.raises(VisitNotFound):
        store.resolve("../" + second.visit_id)


def test_in_progress_visits_of_a_customer_are_found_newest_first(tmp_path: Path) -> None:
    times = iter([datetime(2024, 5, day, 9, tzinfo=CHINA) for day in (1, 2, 3)])
    store = RecordStore(tmp_path, clock=lambda: next(times))
    with (
        store.create(fields("A"), snapshot()) as older,
        store.create(fields("a "), snapshot()) as newer,
    ):
        pass
    with store.create(fields("B"), snapshot()):
        pass
    found = store.find_in_progress("mini-turnup", "A")
    assert [r.visit_id for r in found] == [newer.visit_id, older.visit_id]
    assert store.find_in_progress("other-checklist", "A") == []


def test_attachments_are_copied_with_their_sha256(store: RecordStore, tmp_path: Path) -> None:
    photo = tmp_path / "odf 架.jpg"
    photo.write_bytes(b"\xff\xd8 a photo")
    with store.create(fields(), snapshot()) as handle:
        first = handle.attach(photo)
        second = handle.attach(photo)
    assert first.stored_path == "attachments/odf 架.jpg"
    assert second.stored_path == "attachments/odf 架-2.jpg"
    import hashlib

    assert first.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert (handle.folder / second.stored_path).read_bytes() == photo.read_bytes()


def test_a_photo_that_may_not_be_read_is_the_engineers_input_not_a_failed_save(
    store: RecordStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read permission is simulated: the tests run as root, who may read any file."""
    photo = tmp_path / "odf.jpg"
    photo.write_bytes(b"\xff\xd8 a photo")
    real_open = os.open

    def open_denied(path: str | Path, *args: Any, **kwargs: Any) -> int:
        if Path(path) == photo:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_denied)
    with store.create(fields(), snapshot()) as handle:
        with pytest.raises(UserInputError, match=r"cannot attach .*odf\.jpg: Permission denied"):
            handle.attach(photo)
        assert not (handle.folder / "attachments").exists()
