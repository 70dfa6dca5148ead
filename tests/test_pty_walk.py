"""The real terminal program driven through a pseudo-terminal, as an engineer types at it.

Pings go to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest
from walk_support import QUICK_TURNUP

from fieldkit.records.models import Outcome, VisitStatus
from fieldkit.records.store import RecordStore

pytestmark = pytest.mark.slow

VISIT_OPTIONS = [
    "--customer", "深圳某银行", "--engineer", "李工", "--site", "福田", "--order", "GD-1",
    "--order-type", "new", "--grade", "local-a",
]  # fmt: skip


class Terminal:
    """One fieldkit process on a pseudo-terminal, and the records folder it writes to."""

    def __init__(self, tmp_path: Path, *, lang: str = "en", columns: int = 140) -> None:
        self.columns = columns
        self.records = tmp_path / "records"
        self.checklist = tmp_path / "quick-turnup.yaml"
        self.checklist.write_text(QUICK_TURNUP, encoding="utf-8")
        self.env = {
            **os.environ,
            "FIELDKIT_RECORDS": str(self.records),
            "FIELDKIT_CONFIG": str(tmp_path / "config.yaml"),
            "FIELDKIT_LANG": lang,
            "NO_COLOR": "1",
            "COLUMNS": str(columns),
            "TERM": "xterm",
        }

    def spawn(self, *args: str) -> pexpect.spawn:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "fieldkit", *args],
            env=self.env,
            encoding="utf-8",
            timeout=20,
            dimensions=(50, self.columns),
        )
        return child

    def run(self, *extra: str) -> pexpect.spawn:
        return self.spawn("run", str(self.checklist), *VISIT_OPTIONS, *extra)

    def store(self) -> RecordStore:
        return RecordStore(self.records)

    def only_record(self):  # type: ignore[no-untyped-def]
        [record] = list(self.store().iter_records())
        return record


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None
    return child.exitstatus


@pytest.fixture
def term(tmp_path: Path) -> Terminal:
    return Terminal(tmp_path)


def test_a_whole_walk_with_invalid_input_back_note_and_skip(term: Terminal) -> None:
    child = term.run()
    child.expect("Quick turn-up")
    child.expect("step 1 of 4")
    child.expect("IPv4 address")
    child.sendline("10.0.0.300")
    child.expect("not an IPv4 address: 10.0.0.300")
    child.expect("try again")
    child.sendline("127.0.0.1")
    child.expect("saved")

    child.expect("step 2 of 4")
    child.expect(r"Done\? \(y/n\)")
    child.sendline("perhaps")
    child.expect("answer yes or no")
    child.sendline("note LNK blinked twice before it stayed on")
    child.expect("note saved")
    child.sendline("back")
    child.expect("step 1 of 4")
    child.expect("Current answer: 127.0.0.1")
    child.sendline("")
    child.expect("kept")
    child.expect("step 2 of 4")
    child.sendline("y")

    child.expect("step 3 of 4")
    child.expect("Press Enter to ping 127.0.0.1")
    child.sendline("")
    child.expect("Reply from 127.0.0.1")
    child.expect(r"Connection normal.*\(ok\)")

    child.expect("step 4 of 4")
    child.expect(r"\(optional\)")
    child.sendline("skip")
    child.expect("Reason for skipping")
    child.sendline("customer had nothing to add")
    child.expect("Visit completed: passed")
    child.expect("fieldkit visits show")
    assert finish(child) == 0

    record = term.only_record()
    assert record.outcome is Outcome.PASSED
    cabled = record.answer_for("cabled")
    assert cabled is not None and cabled.value is True
    assert [note.text for note in cabled.notes] == ["LNK blinked twice before it stayed on"]
    remarks = record.answer_for("remarks")
    assert remarks is not None and remarks.skip_reason == "customer had nothing to add"


def test_a_required_step_cannot_be_skipped(term: Terminal) -> None:
    child = term.run()
    child.expect("IPv4 address")
    child.sendline("skip")
    child.expect("this step is required and cannot be skipped")
    child.expect("IPv4 address")
    child.sendline("quit")
    assert finish(child) == 3


def test_missing_visit_fields_are_asked_first(term: Terminal) -> None:
    child = term.spawn("run", str(term.checklist))
    child.expect("Engineer's name")
    child.sendline("")  # needed: asked again
    child.expect("Engineer's name")
    child.sendline("李工")
    child.expect("Customer")
    child.sendline("深圳某银行")
    for _ in range(2):  # site, order
        child.expect("Enter to leave empty")
        child.sendline("")
    child.expect("Order type")
    child.sendline("transfer")
    child.expect("not one of new, relocate, remove, change")
    child.sendline("移机")
    child.expect("Customer grade")
    child.sendline("local-b")
    child.expect("step 1 of 4")
    child.sendline("quit")
    assert finish(child) == 3
    record = term.only_record()
    assert (record.engineer, record.customer, record.site) == ("李工", "深圳某银行", None)
    assert (record.order_type, record.grade) == ("relocate", "local-b")


@pytest.mark.parametrize("key", ["ctrl-c", "ctrl-d"])
def test_leaving_at_a_question_before_the_first_step_records_nothing_exit_3(
    term: Terminal, key: str
) -> None:
    """Ctrl-D there used to be Click's "Aborted." with exit 1, which means "completed, failed"."""
    child = term.spawn("run", str(term.checklist), "--engineer", "李工")
    child.expect("Customer")
    if key == "ctrl-c":
        child.sendintr()
    else:
        child.sendeof()
    child.expect("stopped before the walk began: nothing was recorded")
    assert finish(child) == 3
    assert not list(term.store().iter_records())


@pytest.mark.parametrize("key", ["ctrl-c", "退出"])
def test_leaving_before_the_first_step_in_a_chinese_session_says_so_in_chinese(
    tmp_path: Path, key: str
) -> None:
    """The line used to be English only, in a session otherwise all in Chinese."""
    term = Terminal(tmp_path, lang="zh")
    child = term.spawn("run", str(term.checklist), "--engineer", "李工")
    child.expect("客户")
    if key == "ctrl-c":
        child.sendintr()
    else:
        child.sendline(key)
    child.expect("开始第一步之前已退出：没有记录任何内容")
    assert finish(child) == 3
    assert "stopped before" not in (child.before or "")
    assert not list(term.store().iter_records())


def test_a_name_refused_at_the_keyboard_is_refused_in_chinese_in_a_chinese_session(
    tmp_path: Path,
) -> None:
    """The reason was English ("customer has no visible character ...") inside a Chinese line."""
    term = Terminal(tmp_path, lang="zh")
    child = term.spawn("run", str(term.checklist), "--engineer", "李工")
    child.expect("客户")
    child.sendline("\u200b\u200b")
    child.expect("客户名称没有可见字符（只有空格或零宽字符），请重新输入")
    child.sendline("退出")
    assert finish(child) == 3
    assert "visible" not in (child.before or "")


def test_quit_then_resume_from_the_list_keeps_every_answer(term: Terminal) -> None:
    child = term.run()
    child.expect("IPv4 address")
    child.sendline("127.0.0.1")
    child.expect(r"Done\? \(y/n\)")
    child.sendline("quit")
    child.expect("fieldkit resume")
    assert finish(child) == 3
    record = term.only_record()
    assert record.status is VisitStatus.IN_PROGRESS

    child = term.spawn("resume")
    child.expect("Visits in progress")
    child.expect(record.visit_id)
    child.expect("Which visit")
    child.sendline("7")
    child.expect("not one of the choices")
    child.sendline("1")
    child.expect("step 2 of 4")
    child.sendline("back")
    child.expect("Current answer: 127.0.0.1")
    child.sendline("")
    child.sendline("y")
    child.expect("Press Enter to ping")
    child.sendline("")
    child.expect(r"\(optional\)")
    child.sendline("all good")
    assert finish(child) == 0
    done = term.store().load(record.visit_id)
    assert done.outcome is Outcome.PASSED
    assert done.answer_for("gateway").value == "127.0.0.1"  # type: ignore[union-attr]


def test_ctrl_c_saves_and_leaves_the_visit_in_progress(term: Terminal) -> None:
    child = term.run()
    child.expect("IPv4 address")
    child.sendline("127.0.0.1")
    child.expect(r"Done\? \(y/n\)")
    child.sendintr()
    child.expect("Saved")
    assert finish(child) == 3
    record = term.only_record()
    assert record.status is VisitStatus.IN_PROGRESS
    assert [answer.step_id for answer in record.answers] == ["gateway"]


def test_run_offers_to_resume_the_visit_in_progress_for_the_same_customer(term: Terminal) -> None:
    child = term.run()
    child.expect("IPv4 address")
    child.sendline("127.0.0.1")
    child.expect(r"Done\? \(y/n\)")
    child.sendline("quit")
    assert finish(child) == 3
    first = term.only_record()

    child = term.run()
    child.expect(f"Visit {first.visit_id} of quick-turnup for 深圳某银行 is still in progress")
    child.expect(r"Resume it\? \(Y/n\)")
    child.sendline("")
    child.expect("step 2 of 4")
    child.sendline("quit")
    assert finish(child) == 3
    assert [record.visit_id for record in term.store().iter_records()] == [first.visit_id]


def test_attach_copies_a_file_into_the_visit(term: Terminal, tmp_path: Path) -> None:
    photo = tmp_path / "odf tray.jpg"
    photo.write_bytes(b"a photo of the ODF tray")
    child = term.run()
    child.expect("IPv4 address")
    child.sendline(f"attach {tmp_path / 'missing.jpg'}")
    child.expect("no such file")
    child.sendline(f"attach {tmp_path}")
    child.expect("a folder, not a file")
    child.sendline(f"attach {photo}")
    child.expect("attached odf tray.jpg")
    child.sendline("quit")
    assert finish(child) == 3
    entry = term.only_record().answer_for("gateway")
    assert entry is not None and entry.attachments[0].name == "odf tray.jpg"
    stored = term.store().visit_dir(term.only_record().visit_id) / entry.attachments[0].stored_path
    assert stored.read_bytes() == photo.read_bytes()


def test_a_hidden_step_is_shown_skipped_and_back_brings_it_back(term: Terminal) -> None:
    child = term.spawn("run", "lan-turnup", *VISIT_OPTIONS)
    for answer in ("y", "127.0.0.2", "/8", "127.0.0.1", "GJ-07/12", "SC", "y"):
        child.expect("›")
        child.sendline(answer)
    child.expect(r"\[8/12\] skipped Seat the pigtail's FC connector")
    child.expect("condition not met: pigtail_connector ≠ FC")
    child.expect("step 9 of 12")
    child.sendline("back")
    child.expect("step 7 of 12")  # the skipped step is not an answer to go back to
    child.sendline("back")
    child.expect("step 6 of 12")
    child.expect("Current answer: SC")
    child.sendline("FC")
    child.expect("step 8 of 12")  # shown now; the power step's answer was kept
    child.sendline("quit")
    assert finish(child) == 3
    record = term.only_record()
    assert record.answer_for("converter_power").value is True  # type: ignore[union-attr]
    assert record.answer_for("pigtail_on_odf") is None  # to be asked, no longer skipped
