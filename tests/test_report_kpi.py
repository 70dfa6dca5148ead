"""Every KPI on a small hand-made team of visits whose figures are known in advance."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from test_report_helpers import (
    TODAY,
    at,
    edited,
    make,
    repair_answers,
    turnup_answers,
    visit_answers,
    write,
)

from fieldkit.errors import UserInputError
from fieldkit.records.models import StepAnswer
from fieldkit.records.sources import NoteKind, SourceReport
from fieldkit.report.filters import Filters
from fieldkit.report.kpi import median, percentile
from fieldkit.report.pipeline import ReportOptions, summarize
from fieldkit.report.summary import Summary


def build_team(root: Path) -> dict[str, Path]:
    """Ten visits in `team/`, a duplicate in `copy/`, a changed and a broken file in `odd/`."""
    team, copy, odd = root / "team", root / "copy", root / "odd"
    t1 = make("turnup", started=at(6), minutes=30, answers=turnup_answers(at(6), ["ok"]))
    records = [
        t1,
        make("turnup", started=at(7), minutes=40, engineer="王工", customer="华强电子",
             answers=turnup_answers(at(7), ["timeout", "ok"])),
        make("turnup", started=at(8), minutes=50, customer="华强电子",
             answers=turnup_answers(at(8), ["ok"], power_ok=False)),
        make("turnup", started=at(9), status="aborted", engineer="王工",
             answers=turnup_answers(at(9), ["local_unreachable"])),
        make("turnup", started=at(10), status="in_progress",
             answers=turnup_answers(at(10), ["ok"])[:1]),
        make("repair", started=at(11), engineer="王工", grade="province",
             answers=repair_answers(at(11), {"dispatched_at": 10, "accepted_at": 50,
                                             "restored_at": 600, "customer_confirmed_at": 605})),
        make("repair", started=at(13), grade="local-b",
             answers=repair_answers(at(13), {"dispatched_at": 20, "accepted_at": 30,
                                             "restored_at": 3000, "customer_confirmed_at": 3030})),
        make("repair", started=at(14), grade=None,
             answers=repair_answers(at(14), {"restored_at": 120})),
        make("visit", started=at(12), customer="福田医院", answers=visit_answers(at(12), "陈经理", [
            {"problem": "机房温度偏高", "owner": "张三", "due": "2024-05-20"},
            {"problem": "希望提升带宽", "owner": "李四", "due": "2024-06-15"},
        ])),
        make("visit", started=at(15), status="aborted", answers=visit_answers(at(15), "陈经理", [
            {"problem": "counted: an aborted visit's problem", "owner": "x", "due": "2024-05-01"},
        ])),
    ]
    for record in records:
        write(team, record)
    write(copy, t1)
    changed = make("turnup", started=at(16), answers=turnup_answers(at(16), ["ok"]))
    write(odd, changed, edited(changed, engineer="改过的"))
    (odd / "broken").mkdir(parents=True)
    (odd / "broken" / "visit.json").write_text('{"schema_version": 1, "visit_id": ')
    return {"team": team, "copy": copy, "odd": odd}


@pytest.fixture
def team(tmp_path: Path) -> dict[str, Path]:
    return build_team(tmp_path)


def run(sources: list[Path], **options: object) -> tuple[Summary, SourceReport]:
    result = summarize(ReportOptions(sources=sources, today=TODAY, **options))  # type: ignore[arg-type]
    return result.summary, result.sources


def test_visits_by_status_kind_and_checklist(team: dict[str, Path]) -> None:
    summary, _ = run([team["team"]])
    totals = summary.totals
    assert (totals.visits, totals.completed, totals.in_progress, totals.aborted) == (10, 7, 1, 2)
    # Outcomes by kind: turn-ups pass or fail, repairs are restored, customer visits completed.
    assert (totals.passed, totals.failed, totals.restored, totals.not_restored) == (2, 1, 3, 0)
    assert summary.by_kind == {"repair": 3, "turnup": 5, "visit": 2}
    turnup = next(c for c in summary.checklists if c.checklist_id == "mini-turnup")
    assert (turnup.counts.visits, turnup.counts.completed, turnup.counts.aborted) == (5, 3, 1)


def test_first_time_pass_needs_ok_on_the_first_ping_and_every_step_passed(
    team: dict[str, Path],
) -> None:
    summary, _ = run([team["team"]])
    # Decided: 3 completed + 1 aborted turn-ups; only the first passed with ok at once.
    assert (summary.first_time_pass, summary.turnups_decided) == (1, 4)
    assert summary.first_time_pass_rate == pytest.approx(0.25)


def test_ping_verdicts_count_every_attempt(team: dict[str, Path]) -> None:
    summary, _ = run([team["team"]])
    shares = {v.verdict: (v.count, v.share) for v in summary.ping_verdicts}
    assert summary.ping_attempts == 5
    assert shares == {
        "ok": (3, pytest.approx(0.6)),
        "timeout": (1, pytest.approx(0.2)),
        "local_unreachable": (1, pytest.approx(0.2)),
    }


def test_top_failing_steps_carry_the_title_of_the_checklist_as_run(team: dict[str, Path]) -> None:
    summary, _ = run([team["team"]])
    failing = [(s.step_id, s.title, s.count) for s in summary.top_failing_steps]
    assert failing == [
        ("converter_power", "Power the converter", 1),
        ("ping_gateway", "Ping the gateway", 1),
    ]
    summary_zh, _ = run([team["team"]], lang="zh")
    assert summary_zh.top_failing_steps[0].title == "光电转换器通电"


def test_onsite_time_median_and_p90_of_completed_visits(team: dict[str, Path]) -> None:
    summary, _ = run([team["team"]])
    turnup = next(c for c in summary.checklists if c.checklist_id == "mini-turnup")
    assert turnup.onsite_measured == 3  # the aborted and in-progress ones do not count
    assert (turnup.onsite_median_min, turnup.onsite_p90_min) == (40, 50)


def test_repairs_against_grade_limits_and_fault_windows(team: dict[str, Path]) -> None:
    summary, _ = run([team["team"]])
    repairs = summary.repairs
    # 10 h for a province customer (limit 20 h): within; 50 h for local-b (48 h): over;
    # the third has no grade: timed (mean) but not measured against a limit.
    assert (repairs.completed_repairs, repairs.measured, repairs.within_limit) == (3, 2, 1)
    assert repairs.mean_repair_hours == pytest.approx((10 + 50 + 2) / 3)
    windows = {w.window_id: (w.measured, w.within) for w in repairs.windows}
    assert windows == {"dispatch": (2, 1), "accept": (2, 1), "restore_confirmation": (2, 1)}


def test_open_followups_overdue_first_aborted_visits_included(team: dict[str, Path]) -> None:
    summary, _ = run([team["team"]])
    assert (summary.followups_open, summary.followups_overdue) == (3, 2)
    first, second, third = summary.followups_most_urgent
    assert (first.problem, first.overdue) == ("counted: an aborted visit's problem", True)
    assert (second.problem, second.owner, second.overdue) == ("机房温度偏高", "张三", True)
    assert (third.problem, third.overdue) == ("希望提升带宽", False)


def test_engineer_table(team: dict[str, Path]) -> None:
    summary, _ = run([team["team"]])
    by_name = {e.engineer: e for e in summary.engineers}
    wang = by_name["王工"]
    assert (wang.counts.visits, wang.turnups_decided, wang.first_time_pass) == (3, 2, 0)
    assert (wang.repairs_measured, wang.repairs_within_limit) == (1, 1)
    li = by_name["李工"]
    assert (li.counts.visits, li.first_time_pass, li.failed_steps) == (7, 1, 1)


def test_duplicates_count_once_changed_and_broken_are_noted(team: dict[str, Path]) -> None:
    summary, sources = run([team["team"], team["copy"], team["odd"]])
    assert summary.totals.visits == 10
    assert sources.counts[NoteKind.DUPLICATE] == 1
    assert sources.counts[NoteKind.CHANGED] == 1
    assert sources.counts[NoteKind.INVALID] == 1
    invalid = next(n for n in sources.notes if n.kind is NoteKind.INVALID)
    assert invalid.where.endswith("visit.json") and "invalid JSON" in invalid.message


def test_include_changed_keeps_the_changed_record(team: dict[str, Path]) -> None:
    summary, sources = run([team["team"], team["odd"]], include_changed=True)
    assert summary.totals.visits == 11
    assert sources.changed_included == 1
    assert "改过的" in {e.engineer for e in summary.engineers}


def test_filters_narrow_every_figure(team: dict[str, Path]) -> None:
    summary, sources = run([team["team"]], filters=Filters.from_options(kinds=["repair"]))
    assert summary.totals.visits == 3 and summary.turnups_decided == 0
    assert sources.filtered_out == 7
    summary, _ = run([team["team"]], filters=Filters.from_options(engineers=["王工"]))
    assert summary.totals.visits == 3
    summary, _ = run([team["team"]], filters=Filters.from_options(grades=["local-b"]))
    assert summary.repairs.completed_repairs == 1
    summary, _ = run([team["team"]], filters=Filters.from_options(customer="华强"))
    assert summary.totals.visits == 2
    summary, _ = run([team["team"]], filters=Filters.from_options(statuses=["in-progress"]))
    assert summary.totals.in_progress == 1 and summary.totals.visits == 1
    summary, _ = run([team["team"]], filters=Filters.from_options(outcomes=["failed"]))
    assert summary.totals.visits == 1


@pytest.mark.parametrize(
    ("keyword", "option", "value"),
    [
        ("grades", "--grade", "本地C"),
        ("grades", "--grade", "Local-Z"),
        ("kinds", "--kind", "Turnups"),
        ("statuses", "--status", "DONE"),
    ],
)
def test_a_wrong_filter_value_is_named_as_typed(keyword: str, option: str, value: str) -> None:
    """The supervisor sees what they typed (本地C, not 本地c) and what is accepted."""
    with pytest.raises(UserInputError) as refused:
        Filters.from_options(**{keyword: [value]})  # type: ignore[arg-type]
    assert str(refused.value).startswith(f"{option} {value!r}: expected one of ")


def test_dates_are_the_engineers_calendar_days(tmp_path: Path) -> None:
    # 23:30 on 5 May in Beijing is 15:30 UTC; 01:00 on 6 May in Beijing is 5 May 17:00 UTC.
    late = make("turnup", started=at(5, 23, 30), answers=turnup_answers(at(5, 23, 30), ["ok"]))
    early = make("turnup", started=at(6, 1, 0), answers=turnup_answers(at(6, 1, 0), ["ok"]))
    for record in (late, early):
        write(tmp_path, record)
    summary, _ = run([tmp_path], filters=Filters.from_options(since="2024-05-06"))
    assert summary.totals.visits == 1
    summary, _ = run([tmp_path], filters=Filters.from_options(until="2024-05-05"))
    assert summary.totals.visits == 1
    # An instant compares as an instant: 16:00 UTC on 5 May falls between the two.
    summary, _ = run([tmp_path], filters=Filters.from_options(since="2024-05-05T16:00+00:00"))
    assert summary.totals.visits == 1
    summary, _ = run([tmp_path])
    assert summary.visits_per_week == {"2024-W18": 1, "2024-W19": 1}  # Sunday, then Monday


def test_percentiles() -> None:
    assert median([3.0, 1.0, 2.0, 10.0]) == 2.5
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9
    assert median([]) is None and percentile([], 0.9) is None


DIAGNOSED_REPAIR_YAML = """\
schema: 1
id: mini-repair-checks
version: "1.0"
kind: repair
title: {zh: 故障修复, en: Repair}
description: {zh: 测试用, en: for tests}
steps:
  - {id: fault_reported_at, type: record, title: reported, input: datetime}
  - {id: optical_light, type: check, title: {zh: 光口灯正常, en: Optical light normal}}
  - id: rx_power
    type: record
    title: {zh: 收光功率, en: Received power}
    input: decimal
    expect: {min: -27, max: -8}
  - {id: service_restored, type: check, title: {zh: 业务已恢复, en: Restored}, decides: true}
  - {id: restored_at, type: record, title: restored, input: datetime}
"""

INSPECTION_YAML = """\
schema: 1
id: mini-inspection
version: "1.0"
kind: inspection
title: {zh: 巡检, en: Inspection}
description: {zh: 测试用, en: for tests}
steps:
  - {id: ups_battery, type: check, title: {zh: UPS电池无鼓包, en: UPS battery not swollen}}
"""


def _answer(step_id: str, step_type: str, value: object, passed: bool | None) -> StepAnswer:
    return StepAnswer(
        step_id=step_id, step_type=step_type, value=value, passed=passed, answered_at=at(20)
    )  # type: ignore[arg-type]


def _diagnosed_repair(restored: bool, minutes_to_restore: float) -> list[StepAnswer]:
    reported = at(20)
    return [
        _answer("fault_reported_at", "record", reported.isoformat(), None),
        _answer("optical_light", "check", False, False),  # no light...
        _answer("rx_power", "record", -35.0, False),  # ...-35 dBm: the diagnosis
        _answer("service_restored", "check", restored, restored),
        _answer("restored_at", "record",
                (reported + timedelta(minutes=minutes_to_restore)).isoformat(), None),
    ]


def test_a_repair_s_diagnosis_and_an_inspection_s_findings_are_not_failing_steps(
    tmp_path: Path,
) -> None:
    records = [
        make("repair", started=at(20), source=DIAGNOSED_REPAIR_YAML,
             answers=_diagnosed_repair(True, 60)),
        make("repair", started=at(21), source=DIAGNOSED_REPAIR_YAML,
             answers=_diagnosed_repair(False, 60)),
        make("inspection", started=at(22), source=INSPECTION_YAML,
             answers=[_answer("ups_battery", "check", False, False)]),
    ]
    for record in records:
        write(tmp_path, record)
    summary, _ = run([tmp_path])
    assert [r.outcome.value for r in records if r.outcome] == [
        "restored", "not_restored", "completed"
    ]
    totals = summary.totals
    assert (totals.restored, totals.not_restored, totals.failed) == (1, 1, 0)
    # Only the repair that did not restore the service has a failing step: its restoration.
    failing = [(s.step_id, s.count) for s in summary.top_failing_steps]
    assert failing == [("service_restored", 1)]
    assert summary.engineers[0].failed_steps == 1
    rows = {row["visit_id"]: row for row in _csv_rows(tmp_path)}
    assert rows[records[0].visit_id]["findings"] == "optical_light;rx_power"
    assert rows[records[0].visit_id]["failed_steps"] == ""
    assert rows[records[2].visit_id]["findings"] == "ups_battery"


def _csv_rows(source: Path) -> list[dict[str, str]]:
    import csv
    import io

    from fieldkit.cli.app import run_app

    out = source.parent / "visits.csv"
    with pytest.raises(SystemExit) as exited:
        run_app(["report", "export", str(source), "-f", "csv", "-o", str(out)])
    assert exited.value.code in (0, None)
    return list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))


def test_no_kpi_averages_a_negative_duration(tmp_path: Path) -> None:
    """Records written before the walk refused backwards times (or with a laptop clock set
    back) must not pull an average below zero: such a duration is left unmeasured."""
    good = make("repair", started=at(11), grade="province",
                answers=repair_answers(at(11), {"restored_at": 120}))
    backwards = make("repair", started=at(12), grade="province", minutes=-30,
                     answers=repair_answers(at(12), {"dispatched_at": -10, "restored_at": -600,
                                                     "customer_confirmed_at": 5}))
    for record in (good, backwards):
        write(tmp_path, record)
    summary, _ = run([tmp_path])
    assert summary.repairs.mean_repair_hours == pytest.approx(2)
    assert summary.repairs.measured == 1  # the backwards repair is not measured against a limit
    windows = {w.window_id: w.measured for w in summary.repairs.windows}
    assert windows["dispatch"] == 0  # dispatched before reported: not a window at all
    repair = next(c for c in summary.checklists if c.checklist_id == "mini-repair")
    assert repair.onsite_measured == 1 and repair.onsite_median_min == 30
