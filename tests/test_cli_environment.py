"""Commands take the streams, console, clock, records folder and language from the Environment
the app is given (httpie's MockEnvironment): the same records read on another day, in another
language or at another width give what a user would see then, with no process state changed."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_runner import json_payload
from followups_support import team

from fieldkit.cells import cell_width
from fieldkit.cli.app import run_app
from fieldkit.cli.environment import Environment
from fieldkit.lang import Lang
from fieldkit.records.store import RecordStore

CHINA = timezone(timedelta(hours=8))


def run(env: Environment, *args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        run_app(list(args), env)
    return int(exited.value.code or 0)


def injected(
    tmp_path: Path, *, now: datetime, lang: Lang = "en", width: int | None = None
) -> Environment:
    return Environment(stdout=io.StringIO(), stderr=io.StringIO(), stdin_isatty=False,
                       now=lambda: now, records_root=tmp_path / "records", lang=lang,
                       console_width=width)  # fmt: skip


def printed(env: Environment, stream: str = "stdout") -> str:
    written = getattr(env, stream)
    assert isinstance(written, io.StringIO)
    return written.getvalue()


@pytest.fixture(autouse=True)
def _no_process_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What the process would say points elsewhere: only the Environment may be used."""
    monkeypatch.setenv("FIELDKIT_RECORDS", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("FIELDKIT_LANG", "zh")
    monkeypatch.setenv("FIELDKIT_CONFIG", str(tmp_path / "config.yaml"))


def test_the_clock_decides_what_is_overdue_and_when_an_item_was_closed(tmp_path: Path) -> None:
    visits = team(tmp_path / "records")
    statuses = {}
    for day in (datetime(2024, 6, 1, 9, tzinfo=CHINA), datetime(2024, 8, 1, 9, tzinfo=CHINA)):
        env = injected(tmp_path, now=day)
        assert run(env, "followups", "list", "--json") == 0, printed(env, "stderr")
        listed = json_payload(printed(env), "fieldkit.followups/1")
        statuses[day.month] = {item["problem"]: item["status"] for item in listed}
    # Due 2024-07-01: open in June, overdue in August.
    assert (statuses[6]["空调滤网脏"], statuses[8]["空调滤网脏"]) == ("open", "overdue")

    closing_time = datetime(2024, 8, 2, 14, 30, tzinfo=CHINA)
    env = injected(tmp_path, now=closing_time)
    item = f"{visits['inspection'].visit_id}#problems_found-2"
    code = run(env, "followups", "close", item, "--note", "filter cleaned", "--by", "王工",
               "--json")  # fmt: skip
    assert code == 0, printed(env, "stderr")
    closure = json_payload(printed(env), "fieldkit.followup-closure/1")
    assert datetime.fromisoformat(closure["closed_at"]) == closing_time


def test_the_report_is_dated_by_the_clock(tmp_path: Path) -> None:
    team(tmp_path / "records")
    env = injected(tmp_path, now=datetime(2024, 6, 3, 8, tzinfo=CHINA))
    assert run(env, "report", "summary", str(tmp_path / "records"), "--json") == 0
    summary = json_payload(printed(env), "fieldkit.report-summary/1")["summary"]
    assert summary["generated_on"] == "2024-06-03"


def test_the_records_folder_and_language_come_from_the_environment(tmp_path: Path) -> None:
    made = team(tmp_path / "records")
    env = injected(tmp_path, now=datetime(2024, 6, 1, tzinfo=CHINA), lang="en")
    assert run(env, "visits", "list", "--json") == 0
    listed = json_payload(printed(env), "fieldkit.visits/1")
    assert {visit["visit_id"] for visit in listed} == {record.visit_id for record in made.values()}

    english = injected(tmp_path, now=datetime(2024, 6, 1, tzinfo=CHINA), lang="en")
    assert run(english, "tools", "lan-turnup") == 0
    chinese = injected(tmp_path, now=datetime(2024, 6, 1, tzinfo=CHINA), lang="zh")
    assert run(chinese, "tools", "lan-turnup") == 0
    assert "optical power meter" in printed(english)
    assert "光功率计" in printed(chinese)


@pytest.mark.parametrize("width", [40, 72])
def test_the_console_is_the_environments(tmp_path: Path, width: int) -> None:
    env = injected(tmp_path, now=datetime(2024, 6, 1, tzinfo=CHINA), lang="zh", width=width)
    assert run(env, "checklists", "show", "lan-turnup") == 0
    lines = printed(env).splitlines()
    assert "专线LAN接入开通调测" in lines[0]
    assert len(lines) > 20 and max(cell_width(line) for line in lines) <= width


def test_a_listing_is_tab_separated_when_piped_unless_rich_is_told_it_is_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = datetime(2024, 6, 1, tzinfo=CHINA)
    piped = injected(tmp_path, now=day, width=100)
    assert run(piped, "checklists", "list") == 0
    assert printed(piped).splitlines()[0] == "id\tkind\tversion\ttitle\tfrom"
    monkeypatch.setenv("FORCE_COLOR", "1")  # Rich draws for a terminal: so must fieldkit
    forced = injected(tmp_path, now=day, width=100)
    assert run(forced, "checklists", "list") == 0
    assert "\t" not in printed(forced) and "lan-turnup" in printed(forced)


TIMED_VISIT = """\
schema: 1
id: timed
version: "1.0"
kind: inspection
title: {zh: 时间, en: Times}
description: {zh: 测试, en: Test}
steps:
  - {id: reported, type: record, input: datetime, title: Reported}
  - {id: visit_day, type: record, input: date, title: Day of the visit}
  - {id: restored, type: record, input: datetime, title: Restored, not_before: [reported]}
  - {id: problems, type: followups, title: Problems}
"""


def test_a_whole_visit_is_walked_at_the_environments_time(tmp_path: Path) -> None:
    """`today`, `now` and `tomorrow` are read against the clock, the `not_before` check
    judges that reading, and the record's times are the clock's: started at one time, refused
    there, finished by `resume` at a later one."""
    checklist = tmp_path / "timed.yaml"
    checklist.write_text(TIMED_VISIT, "utf-8")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({
        "engineer": "李工", "customer": "c", "grade": "local-a",
        "reported": "2024-05-12 10:00", "visit_day": "today", "restored": "now",
        "problems": [{"problem": "filter", "owner": "王工", "due": "tomorrow"}],
    }), "utf-8")  # fmt: skip
    started = datetime(2024, 5, 12, 9, 30, tzinfo=CHINA)  # before the fault was reported
    early = injected(tmp_path, now=started)
    assert run(early, "run", str(checklist), "--answers", str(answers)) == 2
    assert "2024-05-12T09:30+08:00 is before reported (2024-05-12T10:00+08:00)" in printed(
        early, "stderr"
    )
    (record,) = RecordStore(tmp_path / "records").iter_records()
    assert record.started_at == started and record.finished_at is None
    assert [(a.step_id, a.value) for a in record.answers] == [
        ("reported", "2024-05-12T10:00+08:00"), ("visit_day", "2024-05-12")]  # fmt: skip
    assert {a.answered_at for a in record.answers} == {started}

    finished = datetime(2024, 5, 12, 23, 50, tzinfo=CHINA)  # `tomorrow` is still the 13th
    later = injected(tmp_path, now=finished)
    code = run(later, "resume", record.visit_id, "--answers", str(answers))
    assert code == 0, printed(later, "stderr")
    record = RecordStore(tmp_path / "records").load(record.visit_id)
    assert (record.started_at, record.finished_at) == (started, finished)
    by_step = {answer.step_id: answer for answer in record.answers}
    assert by_step["restored"].value == "2024-05-12T23:50+08:00"
    assert by_step["restored"].answered_at == finished
    followup = {"problem": "filter", "owner": "王工", "due": "2024-05-13"}
    assert by_step["problems"].value == [followup]
    assert by_step["visit_day"].value == "2024-05-12"  # answered at the first run, kept
