"""A walkthrough on a really full disk (the store's 256 KiB tmpfs): the previous state survives,
the error is clear, and the engineer can answer again once there is room. Pings: 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from test_records_full_disk import _fill, small_disk
from walk_support import QUICK_TURNUP

from fieldkit.records.models import Outcome, VisitStatus
from fieldkit.records.store import RecordStore

__all__ = ["small_disk"]  # the fixture, shared with the store's own full-disk tests

pytestmark = pytest.mark.slow


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "FIELDKIT_RECORDS": str(folder / "records"),
        "FIELDKIT_CONFIG": str(folder / "none.yaml"),
        "FIELDKIT_LANG": "en",
        "NO_COLOR": "1",
        "COLUMNS": "160",
    }


def test_an_answer_that_does_not_fit_stops_the_run_and_keeps_the_earlier_ones(
    small_disk: Path, tmp_path: Path
) -> None:
    checklist = tmp_path / "quick.yaml"
    checklist.write_text(QUICK_TURNUP, encoding="utf-8")
    answers = tmp_path / "answers.json"
    content = {"customer": "c", "engineer": "e", "gateway": "127.0.0.1", "cabled": True}
    too_big = {**content, "remarks": "光功率偏低，重新清洁连接器。" * 20000}  # ~600 KB
    answers.write_text(json.dumps(too_big, ensure_ascii=False), encoding="utf-8")
    env = _env(small_disk)
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "run", str(checklist), "--answers", str(answers)],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 3
    assert "disk full: answer not saved; the record still holds 3 answers" in done.stderr
    store = RecordStore(env["FIELDKIT_RECORDS"])
    [record] = list(store.iter_records())
    assert record.status is VisitStatus.IN_PROGRESS
    assert [answer.step_id for answer in record.answers] == ["gateway", "cabled", "ping_gateway"]

    answers.write_text(json.dumps({**content, "remarks": "fits"}), encoding="utf-8")
    resumed = subprocess.run(
        [sys.executable, "-m", "fieldkit", "resume", record.visit_id, "--answers", str(answers)],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert store.load(record.visit_id).outcome is Outcome.PASSED


def test_at_the_prompt_a_full_disk_is_said_and_the_step_asked_again(
    small_disk: Path, tmp_path: Path
) -> None:
    checklist = tmp_path / "quick.yaml"
    checklist.write_text(QUICK_TURNUP, encoding="utf-8")
    env = _env(small_disk)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "fieldkit", "run", str(checklist), "--customer", "c", "--engineer", "e",
         "--site", "s", "--order", "o", "--order-type", "new", "--grade", "group"],
        env=env, encoding="utf-8", timeout=20, dimensions=(50, 160),
    )  # fmt: skip
    child.expect("IPv4 address")
    filler = _fill(small_disk)
    child.sendline("127.0.0.1")
    child.expect("not saved: disk full: answer not saved; the record still holds 0 answers")
    child.expect("IPv4 address")
    filler.unlink()
    child.sendline("127.0.0.1")
    child.expect("saved")
    child.expect(r"Done\? \(y/n\)")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    [record] = list(RecordStore(env["FIELDKIT_RECORDS"]).iter_records())
    assert [answer.value for answer in record.answers] == ["127.0.0.1"]
