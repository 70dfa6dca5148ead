"""A really full disk (a 256 KiB tmpfs, root on Linux): the record survives, the error is clear."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from records_factory import CHINA, answers, completed, fields, snapshot

from fieldkit.records.atomic import SaveFailed
from fieldkit.records.models import Note, VisitStatus
from fieldkit.records.store import RecordStore

START = datetime(2024, 5, 12, 9, 30, tzinfo=CHINA)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux (the patched-write test covers others)")
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace')}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def _fill(folder: Path) -> Path:
    """Write a file until the disk is full; returns it (delete it to free the space)."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 4096)
    return filler


def _long_note() -> Note:
    return Note(text="光功率偏低，重新清洁连接器。" * 400, at=START)


def test_a_full_disk_keeps_every_confirmed_answer(small_disk: Path) -> None:
    store = RecordStore(small_disk / "records", clock=lambda: START)
    with store.create(fields(), snapshot()) as handle:
        handle.save(handle.record.model_copy(update={"answers": answers(START)[:2]}))
        filler = _fill(small_disk)
        bigger = answers(START)
        bigger[2] = bigger[2].model_copy(update={"notes": [_long_note()]})
        with pytest.raises(
            SaveFailed, match="disk full: answer not saved; the record still holds 2 answers"
        ):
            handle.save(handle.record.model_copy(update={"answers": bigger}))
        assert len(store.load(handle.visit_id).answers) == 2
        with pytest.raises(  # completing rewrites visit.json
            SaveFailed,
            match="disk full: the visit was not marked completed, it stays in progress; "
            "the record still holds 2 answers",
        ):
            handle.save(completed(handle.record, START))
        on_disk = store.load(handle.visit_id)
        assert on_disk.status is VisitStatus.IN_PROGRESS and len(on_disk.answers) == 2
        filler.unlink()
        handle.save(handle.record.model_copy(update={"answers": bigger}))
        handle.save(completed(handle.record, START).model_copy(update={"answers": bigger}))
    finished = store.load(handle.visit_id)
    assert finished.status is VisitStatus.COMPLETED
    assert finished.answers[2].notes[0].text.startswith("光功率偏低")
