"""Commands take the streams, console, clock, records folder and language from the Environment
the app is given (httpie's MockEnvironment): the same records read on another day, in another
language or at another width give what a user would see then, with no process state changed."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_runner import json_payload
from followups_support import team

from fieldkit.cells import cell_width
from fieldkit.cli.app import run_app
from fieldkit.cli.environment import Environment
from fieldkit.lang import Lang

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
