"""Reports show every kind's follow-ups: open, overdue and closed with the closing time."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from cli_runner import invoke
from followups_support import team
from test_report_helpers import TODAY, write

from fieldkit.followups.closures import CLOSURES_DIR
from fieldkit.followups.service import close_item
from fieldkit.records.models import VisitRecord
from fieldkit.records.sources import NoteKind
from fieldkit.records.store import RecordStore
from fieldkit.report.pipeline import ReportOptions, export, summarize

CHINA = timezone(timedelta(hours=8))
FIRST_CLOSE = datetime(2024, 5, 30, 16, 45, tzinfo=CHINA)
SECOND_CLOSE = datetime(2024, 5, 31, 9, 5, tzinfo=CHINA)


@pytest.fixture
def closed_team(tmp_path: Path) -> tuple[Path, dict[str, VisitRecord]]:
    """The follow-up team with the inspection's overdue UPS item and the repair's item closed."""
    root = tmp_path / "records"
    made = team(root)
    store = RecordStore(root)
    close_item(store, f"{made['inspection'].visit_id}#problems_found-1", "换了新电池",
               closed_by="李工", now=FIRST_CLOSE)
    close_item(store, f"{made['repair'].visit_id}#actions_needed-1", "尾纤已更换",
               closed_by="王工", now=SECOND_CLOSE)
    return root, made


def test_summary_counts_open_overdue_and_closed_of_every_kind(
    closed_team: tuple[Path, dict[str, VisitRecord]],
) -> None:
    root, made = closed_team
    result = summarize(ReportOptions(sources=[root], today=TODAY))
    summary = result.summary
    # Six items: inspection 2, repair 1, customer visit 1, aborted 1, in progress 1; two closed.
    assert (summary.followups_open, summary.followups_overdue, summary.followups_closed) == (
        4, 2, 2
    )
    assert {item.kind for item in summary.followups_most_urgent} == {"inspection", "visit"}
    latest, earlier = summary.followups_recently_closed
    assert (latest.item_id, latest.closed_at, latest.closing_note, latest.closed_by) == (
        f"{made['repair'].visit_id}#actions_needed-1", SECOND_CLOSE, "尾纤已更换", "王工"
    )
    assert (earlier.problem, earlier.overdue, earlier.status) == ("UPS 电池鼓包", False, "closed")
    figures = summary.to_json()
    assert figures["followups_closed"] == 2
    assert figures["followups_recently_closed"][0]["closed_at"] == SECOND_CLOSE.isoformat()


def test_csv_has_a_row_per_item_with_its_status_and_closing_time(
    closed_team: tuple[Path, dict[str, VisitRecord]], tmp_path: Path
) -> None:
    root, made = closed_team
    output = tmp_path / "followups.csv"
    export(ReportOptions(sources=[root], today=TODAY), "csv", output, level="followup")
    with output.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["item_id"]: row for row in csv.DictReader(handle)}
    assert len(rows) == 6
    closed = rows[f"{made['inspection'].visit_id}#problems_found-1"]
    assert (closed["status"], closed["closed_at"], closed["closing_note"]) == (
        "closed", FIRST_CLOSE.isoformat(), "换了新电池"
    )
    assert closed["overdue"] == "false"
    still_open = rows[f"{made['inspection'].visit_id}#problems_found-2"]
    assert (still_open["status"], still_open["closed_at"], still_open["kind"]) == (
        "open", "", "inspection"
    )
    visits_csv = tmp_path / "visits.csv"
    export(ReportOptions(sources=[root], today=TODAY), "csv", visits_csv)
    with visits_csv.open(encoding="utf-8-sig", newline="") as handle:
        by_visit = {row["visit_id"]: row for row in csv.DictReader(handle)}
    inspection = by_visit[made["inspection"].visit_id]
    assert (inspection["followups_open"], inspection["followups_overdue"],
            inspection["followups_closed"]) == ("1", "0", "1")


def test_xlsx_html_and_json_show_the_closures(
    closed_team: tuple[Path, dict[str, VisitRecord]], tmp_path: Path
) -> None:
    root, made = closed_team
    options = ReportOptions(sources=[root], today=TODAY, lang="en")
    xlsx = tmp_path / "r.xlsx"
    export(options, "xlsx", xlsx)
    book = openpyxl.load_workbook(xlsx)
    sheet = book["Follow-ups"]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2, values_only=True)]
    closed = next(row for row in rows if row["closing_note"] == "尾纤已更换")
    assert closed["closed_at"] == datetime(2024, 5, 31, 9, 5)  # wall-clock time, as Excel has
    assert closed["status"] == "closed" and closed["closed_by"] == "王工"
    summary_cells = [cell for row in book["Summary"].iter_rows(values_only=True) for cell in row]
    position = summary_cells.index("Closed follow-ups")
    assert summary_cells[position + 1] == 2
    assert "Follow-ups closed (latest first)" in summary_cells

    html_file = tmp_path / "r.html"
    export(options, "html", html_file)
    page = html_file.read_text(encoding="utf-8")
    assert "Follow-ups closed (latest first)" in page and "2024-05-31 09:05" in page
    assert "尾纤已更换" in page

    json_file = tmp_path / "r.json"
    export(options, "json", json_file)
    data = json.loads(json_file.read_text(encoding="utf-8"))
    items = {item["id"]: item for entry in data["records"] for item in entry["followups"]}
    closed_item_json = items[f"{made['repair'].visit_id}#actions_needed-1"]
    assert closed_item_json["status"] == "closed"
    assert closed_item_json["closed_at"] == SECOND_CLOSE.isoformat()
    assert data["summary"]["followups_closed"] == 2


def test_dashboard_shows_closed_and_a_bad_closure_is_named(
    closed_team: tuple[Path, dict[str, VisitRecord]],
) -> None:
    root, _ = closed_team
    (root / CLOSURES_DIR / "torn.json").write_bytes(b'{"format": "fieldkit-closure", "ite')
    result = invoke("report", "summary", str(root), "--lang", "en")
    assert result.exit_code == 0, result.output
    # The command's report date is today: every item still open is overdue by now.
    assert "open_followups\t4 (4 overdue) · 2 closed\n" in result.stdout
    closed_section = result.stdout.split("# followups_closed\n")[1].split("\n\n")[0]
    assert "2024-05-31 09:05\t尾纤已更换\t王工" in closed_section
    assert "invalid: " in result.stderr and "torn.json" in result.stderr
    report = summarize(ReportOptions(sources=[root], today=TODAY)).sources
    assert report.counts[NoteKind.INVALID] == 1


def test_the_followup_figure_reads_as_a_sentence_in_chinese(
    closed_team: tuple[Path, dict[str, VisitRecord]],
) -> None:
    """It was "4 (4 已逾期, 2 已关闭)" (and "4 Overdue, 2 Closed" in English)."""
    root, _ = closed_team
    result = invoke("report", "summary", str(root), "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert "open_followups\t4 (其中已逾期 4) · 已关闭 2\n" in result.stdout


def test_a_closure_of_a_problem_the_record_no_longer_reads_closes_nothing(
    closed_team: tuple[Path, dict[str, VisitRecord]],
) -> None:
    """Someone edits the inspection after its UPS item was closed: with --include-changed
    the record is read, and the closure, naming another problem, is noted, not applied."""
    root, made = closed_team
    record = made["inspection"]
    content = record.model_dump(mode="json")
    content["answers"][1]["value"][0]["problem"] = "机柜门锁坏"
    write(root, record, json.dumps(content, ensure_ascii=False).encode())
    ups = f"{record.visit_id}#problems_found-1"
    result = summarize(ReportOptions(sources=[root], today=TODAY, include_changed=True))
    assert result.summary.followups_closed == 1  # the repair's item only
    notes = [note for note in result.sources.notes if note.kind is NoteKind.INVALID]
    assert [note.message for note in notes] == [
        f"closes {ups} as 'UPS 电池鼓包', but the record reads '机柜门锁坏'; not applied"
    ]
    # Without --include-changed the edited record is left out, and so is its item.
    plain = summarize(ReportOptions(sources=[root], today=TODAY)).sources
    assert plain.counts[NoteKind.CHANGED] == 1 and not plain.counts[NoteKind.INVALID]
