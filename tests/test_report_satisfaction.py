"""Customer satisfaction in every report: hand-made customer visits whose shares are known,
old customer-visit 1.0 records (whose ids meant one grade higher) read with today's ids."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from test_report_helpers import CHINA, TODAY, visit_id, write

from fieldkit.paths import builtin_checklists_dir
from fieldkit.records.models import (
    ChecklistSnapshot,
    Outcome,
    StepAnswer,
    VisitRecord,
    VisitStatus,
)
from fieldkit.records.view import visit_view
from fieldkit.report.pipeline import ReportOptions, export, summarize
from fieldkit.text import Text

OLD_VISIT = Path(__file__).parent / "fixtures" / "checklists" / "customer-visit-1.0.yaml"
NEW_VISIT = builtin_checklists_dir() / "customer-visit.yaml"


def rated(
    rating: str,
    *,
    engineer: str,
    started: datetime,
    checklist: Path = NEW_VISIT,
    status: VisitStatus = VisitStatus.COMPLETED,
    mode: str | None = "on_site",
) -> VisitRecord:
    version = "1.0" if checklist == OLD_VISIT else "1.1"
    answers = [StepAnswer(step_id="satisfaction", step_type="record", value=rating,
                          passed=rating != "dissatisfied", answered_at=started)]  # fmt: skip
    if mode is not None:
        answers.insert(0, StepAnswer(step_id="visit_mode", step_type="record", value=mode,
                                     answered_at=started))  # fmt: skip
    record = VisitRecord(
        engineer=engineer,
        customer="深圳某银行",
        visit_id=visit_id(started),
        fieldkit_version="0.1.0",
        checklist=ChecklistSnapshot.from_source(
            checklist.read_text(encoding="utf-8"), id="customer-visit", version=version,
            kind="visit", title=Text(zh="客户走访记录表", en="Customer visit record"),
        ),
        started_at=started,
        finished_at=None if status is VisitStatus.IN_PROGRESS else started + timedelta(hours=1),
        status=status,
        outcome=None if status is VisitStatus.IN_PROGRESS else Outcome.COMPLETED,
        answers=answers,
    )  # fmt: skip
    return record if status is VisitStatus.IN_PROGRESS else record.sealed()


def may(day: int) -> datetime:
    return datetime(2024, 5, day, 10, tzinfo=CHINA)


def april(day: int) -> datetime:
    return datetime(2024, 4, day, 10, tzinfo=CHINA)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    records = [
        # 李工, May: 满意, 基本满意, 不满意.
        rated("satisfied", engineer="李工", started=may(6)),
        rated("mostly_satisfied", engineer="李工", started=may(7), mode="phone"),
        rated("dissatisfied", engineer="李工", started=may(8), mode="sms"),
        # 王工, April, written by customer-visit 1.0: very_satisfied meant 满意, satisfied
        # meant 基本满意.
        rated("very_satisfied", engineer="王工", started=april(8), checklist=OLD_VISIT, mode=None),
        rated("satisfied", engineer="王工", started=april(9), checklist=OLD_VISIT, mode=None),
        # Not counted: still in progress (the rating may still change).
        rated("dissatisfied", engineer="王工", started=may(9), status=VisitStatus.IN_PROGRESS),
    ]
    for record in records:
        write(tmp_path / "team", record)
    return tmp_path / "team"


def test_satisfied_and_dissatisfied_shares_overall_per_engineer_and_per_month(
    folder: Path,
) -> None:
    summary = summarize(ReportOptions(sources=[folder], today=TODAY)).summary
    overall = summary.satisfaction
    counts = (overall.rated, overall.satisfied, overall.mostly_satisfied, overall.dissatisfied)
    assert counts == (5, 2, 2, 1)
    assert overall.satisfied_share == pytest.approx(0.8)
    assert overall.dissatisfied_share == pytest.approx(0.2)
    engineers = {f.group: (f.rated, f.satisfied_share, f.dissatisfied_share)
                 for f in summary.satisfaction_by_engineer}  # fmt: skip
    assert engineers == {
        "李工": (3, pytest.approx(2 / 3), pytest.approx(1 / 3)),
        "王工": (2, pytest.approx(1.0), pytest.approx(0.0)),
    }
    months = [(f.group, f.satisfied, f.mostly_satisfied, f.dissatisfied)
              for f in summary.satisfaction_by_month]  # fmt: skip
    assert months == [("2024-04", 1, 1, 0), ("2024-05", 1, 1, 1)]


def test_an_old_record_keeps_its_bytes_and_shows_its_own_label(folder: Path) -> None:
    old = rated("satisfied", engineer="王工", started=april(9), checklist=OLD_VISIT, mode=None)
    assert old.answer_for("satisfaction").value == "satisfied"  # type: ignore[union-attr]
    (step,) = [s for s in visit_view(old, "zh").steps if s.step_id == "satisfaction"]
    assert step.value == "基本满意"  # what the engineer chose, by the checklist it ran


def test_json_csv_xlsx_and_html_carry_the_satisfaction_figures(
    folder: Path, tmp_path: Path
) -> None:
    options = ReportOptions(sources=[folder], today=TODAY, lang="zh")
    export(options, "json", tmp_path / "report.json")
    summary = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["summary"]
    assert summary["satisfaction"]["dissatisfied_share"] == 0.2
    assert [m["group"] for m in summary["satisfaction_by_month"]] == ["2024-04", "2024-05"]

    export(options, "csv", tmp_path / "visits.csv")
    with (tmp_path / "visits.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["satisfaction"] for row in rows) == [
        "", "dissatisfied", "mostly_satisfied", "mostly_satisfied", "satisfied", "satisfied"
    ]
    assert sorted(row["visit_mode"] for row in rows) == ["", "", "on_site", "on_site", "phone",
                                                         "sms"]  # fmt: skip

    export(options, "xlsx", tmp_path / "report.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "report.xlsx")["Summary"]
    cells = {str(row[0]): row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert cells["不满意率"] == pytest.approx(0.2)
    assert cells["满意率(满意及基本满意)"] == pytest.approx(0.8)
    with zipfile.ZipFile(tmp_path / "report.xlsx") as book:
        charts = [name for name in book.namelist() if name.startswith("xl/charts/chart")]
        titles = "".join(book.read(name).decode("utf-8") for name in charts)
    assert "客户满意度(按月)" in titles

    export(options, "html", tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "不满意率" in page and "20.0%" in page and "客户满意度(按工程师)" in page


def test_the_satisfaction_csv_gives_the_shares_overall_per_engineer_and_per_month(
    folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "satisfaction.csv"
    export(ReportOptions(sources=[folder], today=TODAY), "csv", out, level="satisfaction")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = [(row["group_by"], row["group"], row["rated"], row["satisfied_share"],
                 row["dissatisfied_share"]) for row in csv.DictReader(handle)]  # fmt: skip
    assert rows == [
        ("all", "all", "5", "0.8", "0.2"),
        ("engineer", "李工", "3", "0.6667", "0.3333"),
        ("engineer", "王工", "2", "1.0", "0.0"),
        ("month", "2024-04", "2", "1.0", "0.0"),
        ("month", "2024-05", "3", "0.6667", "0.3333"),
    ]
