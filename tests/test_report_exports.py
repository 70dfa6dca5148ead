"""Each export format's content, redaction in every format, and the report commands."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from cli_runner import json_payload
from screens import WIDTHS, on_pty, widest_line
from test_report_helpers import TODAY
from test_report_kpi import build_team

from fieldkit.lang import Lang
from fieldkit.report.pipeline import ReportOptions, export, summarize
from fieldkit.report.rows import STEP_COLUMNS, VISIT_COLUMNS


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folders = build_team(tmp_path_factory.mktemp("records"))
    return [folders["team"], folders["copy"], folders["odd"]]


def export_to(
    team: list[Path], folder: Path, fmt: str, lang: Lang = "en", **options: object
) -> Path:
    output = folder / f"report.{fmt}"
    export(ReportOptions(sources=team, today=TODAY, lang=lang), fmt, output, **options)  # type: ignore[arg-type]
    return output


# Each summary table's title and some of its headings, as a supervisor reads them.
HEADINGS: dict[str, list[str]] = {
    "zh": ["按检查单", "用时中位数(分钟)", "最常失败的步骤", "步骤", "故障处理流程时限", "达标率",
           "按工程师", "一次通过率", "问题跟进(逾期优先)", "负责人"],
    "en": ["Visits by checklist", "Median min", "Top failing steps", "Step",
           "Fault-process windows", "Within %", "By engineer", "FTP %",
           "Follow-ups (overdue first)", "Owner"],
}


def test_csv_visit_level(team: list[Path], tmp_path: Path) -> None:
    data = export_to(team, tmp_path, "csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese text as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == [column.name for column in VISIT_COLUMNS]
    assert len(rows) == 10  # the duplicate counted once; changed and broken left out
    first = next(row for row in rows if row["started_at"] == "2024-05-06T09:00:00+08:00")
    assert first["customer"] == "深圳某银行"
    assert first["finished_at"] == "2024-05-06T09:30:00+08:00"
    assert first["onsite_minutes"] == "30.0"
    assert (first["first_time_pass"], first["ping_first_verdict"]) == ("true", "ok")
    repair = next(row for row in rows if row["repair_hours"] == "50.0")
    assert (repair["repair_limit_hours"], repair["repair_within_limit"]) == ("48.0", "false")


def test_csv_step_level(team: list[Path], tmp_path: Path) -> None:
    text = export_to(team, tmp_path, "csv", level="step").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [column.name for column in STEP_COLUMNS]
    power = [
        row for row in rows if row["step_id"] == "converter_power" and row["passed"] == "false"
    ]
    assert len(power) == 1 and power[0]["step_title"] == "Power the converter"
    followups = next(row for row in rows if row["step_id"] == "problems_raised")
    assert json.loads(followups["value"])[0]["owner"] == "张三"


def test_xlsx_sheets_types_and_charts(team: list[Path], tmp_path: Path) -> None:
    path = export_to(team, tmp_path, "xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Visits", "Steps", "Pings", "Follow-ups"]
    visits = book["Visits"]
    header = [cell.value for cell in visits[1]]
    assert header == [column.name for column in VISIT_COLUMNS]
    assert visits.freeze_panes == "A2"
    assert visits.auto_filter.ref.startswith("A1:")
    assert visits.max_row == 11
    column = {name: index + 1 for index, name in enumerate(header)}
    started = [visits.cell(row, column["started_at"]).value for row in range(2, 12)]
    assert all(isinstance(value, datetime) for value in started)
    assert datetime(2024, 5, 6, 9, 0) in started  # the engineer's wall-clock time
    minutes = [visits.cell(row, column["onsite_minutes"]).value for row in range(2, 12)]
    assert 30 in minutes and all(v is None or isinstance(v, (int, float)) for v in minutes)
    assert {visits.cell(row, column["first_time_pass"]).value for row in range(2, 12)} >= {
        True, False
    }
    assert book["Follow-ups"].max_row == 4  # three items (one of an aborted visit), header
    assert book["Pings"].max_row == 6  # five attempts and the header
    summary = book["Summary"]
    assert len(summary._charts) == 3
    labels = {row[0].value: row[1].value for row in summary.iter_rows(max_col=2) if row[0].value}
    assert labels["Visits"] == 10 and labels["First-time pass rate"] == pytest.approx(0.25)
    with zipfile.ZipFile(path) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        kinds = "".join(archive.read(name).decode() for name in charts)
    assert len(charts) == 3
    assert "<c:pieChart>" in kinds and kinds.count("<c:barChart>") == 2


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_xlsx_summary_speaks_the_report_language(
    team: list[Path], tmp_path: Path, lang: Lang
) -> None:
    path = export_to(team, tmp_path, "xlsx", lang=lang)
    summary = openpyxl.load_workbook(path)["Summary"]
    texts = {cell.value for row in summary.iter_rows() for cell in row if cell.value}
    other = "en" if lang == "zh" else "zh"
    assert set(HEADINGS[lang]) <= texts
    assert not set(HEADINGS[other]) & texts
    assert ("ping 结论分布" if lang == "zh" else "Ping verdicts") in texts
    assert ("连接正常" if lang == "zh" else "Connection normal") in texts  # a verdict's name
    assert "ok" not in texts
    # The data sheets keep their documented column ids in every language.
    book = openpyxl.load_workbook(path)
    assert [cell.value for cell in book["Visits"][1]] == [c.name for c in VISIT_COLUMNS]
    with zipfile.ZipFile(path) as archive:
        charts = "".join(archive.read(name).decode() for name in archive.namelist()
                         if name.startswith("xl/charts/chart"))
    titles = ["ping 结论分布", "每周上门次数", "最常失败的步骤"] if lang == "zh" else [
        "Ping verdicts", "Visits per week", "Top failing steps"]
    assert all(title in charts for title in titles)


def test_xlsx_charts_point_at_their_table_cells(team: list[Path], tmp_path: Path) -> None:
    path = export_to(team, tmp_path, "xlsx")
    summary = openpyxl.load_workbook(path)["Summary"]
    with zipfile.ZipFile(path) as archive:
        charts = {name: archive.read(name).decode() for name in archive.namelist()
                  if name.startswith("xl/charts/chart")}

    def cells(ref: str) -> list[object]:
        found = re.fullmatch(r"Summary!\$([A-Z])\$(\d+):\$([A-Z])\$(\d+)", ref)
        assert found, ref
        return [cell.value for row in summary[f"{found[1]}{found[2]}:{found[3]}{found[4]}"]
                for cell in row]

    failing = next(xml for xml in charts.values() if "Top failing steps" in xml)
    categories, values = re.findall(r"<c:f>([^<]+)</c:f>", failing)
    assert "converter_power" in cells(categories)  # step ids label the bars
    assert all(isinstance(value, int) and value > 0 for value in cells(values))
    verdicts = next(xml for xml in charts.values() if "Ping verdicts" in xml)
    categories, values = re.findall(r"<c:f>([^<]+)</c:f>", verdicts)
    assert "Connection normal" in cells(categories)  # verdicts by name, not code
    assert sum(cells(values)) == 5  # type: ignore[arg-type]


def test_xlsx_data_sheets_keep_types_and_leave_empty_cells_empty(
    team: list[Path], tmp_path: Path
) -> None:
    book = openpyxl.load_workbook(export_to(team, tmp_path, "xlsx"))
    steps = book["Steps"]
    header = [cell.value for cell in steps[1]]
    assert header == [column.name for column in STEP_COLUMNS]
    assert steps.freeze_panes == "A2" and steps.auto_filter.ref == f"A1:T{steps.max_row}"
    rows = [dict(zip(header, row, strict=True)) for row in steps.iter_rows(2, values_only=True)]
    power = next(row for row in rows if row["step_id"] == "converter_power" and not row["passed"])
    assert power["passed"] is False and power["skipped"] is False
    assert isinstance(power["answered_at"], datetime) and isinstance(power["position"], int)
    assert power["skip_reason"] is None and power["attachments"] is None  # empty, not ""
    pings = book["Pings"]
    first = [cell.value for cell in pings[2]]
    assert isinstance(first[4], datetime) and isinstance(first[8], int)
    followups = book["Follow-ups"]
    header = [cell.value for cell in followups[1]]
    followup = dict(zip(header, [cell.value for cell in followups[2]], strict=True))
    assert isinstance(followup["due"], datetime) and followup["due"].hour == 0  # a date: due day
    assert isinstance(followup["overdue"], bool)
    assert followup["closed_at"] is None and followup["status"] in ("open", "overdue")


def test_xlsx_text_stays_text_and_a_full_sheet_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldkit.report import export_xlsx

    monkeypatch.setattr(export_xlsx, "EXCEL_MAX_ROWS", 3)  # a header and two rows a sheet
    book = export_xlsx._StreamedBook(tmp_path / "odd.xlsx")
    sheet = export_xlsx._Sheet(book, "Steps", VISIT_COLUMNS[:3])
    odd_texts = ["=1+1", " a <b> & c ", "bell\x07", "12", "http://x.test/"]
    for text in odd_texts:
        sheet.add([text, None, ""])
    sheet.close()
    book.save()
    read = openpyxl.load_workbook(tmp_path / "odd.xlsx")
    assert read.sheetnames == ["Steps", "Steps (2)", "Steps (3)"]
    cells = [row for name in read.sheetnames for row in read[name].iter_rows(2, values_only=True)]
    assert [row[0] for row in cells] == [*odd_texts[:2], "bell_x0007_", *odd_texts[3:]]
    assert all(row[1:] == (None, None) for row in cells)
    kinds = {row[0].data_type for name in read.sheetnames for row in read[name].iter_rows(2)}
    assert kinds == {"s"}  # text, never a formula or a number
    assert read["Steps (3)"].auto_filter.ref == "A1:C2"


class _Refs(HTMLParser):
    """Every attribute that could load something, every style and script text."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.rows = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.rows += tag == "tr"
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
                self.refs.append(value or "")
            if name == "style":
                self.text.append(value or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_with_tiles_charts_and_tables(
    team: list[Path], tmp_path: Path
) -> None:
    page = export_to(team, tmp_path, "html").read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(page)
    assert parser.refs == []  # nothing loaded from anywhere
    assert "link" not in parser.tags and "iframe" not in parser.tags
    every_text = " ".join(parser.text).lower()
    assert "@import" not in every_text and "url(" not in every_text
    assert "http://" not in page and "https://" not in page
    assert parser.tags.count("svg") == 3 and "script" in parser.tags
    assert "@page{size:A4" in page
    assert 'class="tile"' in page and "25.0%" in page  # the first-time-pass tile
    assert "深圳某银行" in page and "converter_power" in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_tables_speak_the_report_language(
    team: list[Path], tmp_path: Path, lang: Lang
) -> None:
    page = export_to(team, tmp_path, "html", lang=lang).read_text(encoding="utf-8")
    other = "en" if lang == "zh" else "zh"
    assert all(f">{heading}<" in page for heading in HEADINGS[lang])
    assert not any(f">{heading}<" in page for heading in HEADINGS[other])
    read = "读取记录 13 条 · 采用 10 条" if lang == "zh" else "13 records read · 10 kept"
    assert read in page
    # sorting keys: a percent cell sorts by its number, not by its text
    assert 'data-v="0.5">50.0%</td>' in page
    # The ping verdict chart names the verdicts (连接正常), not their codes (ok).
    name = "连接正常" if lang == "zh" else "Connection normal"
    assert f">{name}</text>" in page and ">ok</text>" not in page


def test_json_holds_records_and_the_same_summary(team: list[Path], tmp_path: Path) -> None:
    data = json.loads(export_to(team, tmp_path, "json").read_text(encoding="utf-8"))
    assert len(data["records"]) == 10
    assert {"source", "changed", "record"} <= set(data["records"][0])
    expected = summarize(ReportOptions(sources=team, today=TODAY)).summary.to_json()
    assert data["summary"] == expected
    assert data["sources"]["counts"]["duplicate"] == 1


SECRETS = [
    "深圳某银行", "华强电子", "福田医院", "福田区深南大道", "陈经理",
    "10.1.2.1", "10.1.2.20", "10.1.2.10",
]


def file_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return "".join(archive.read(name).decode("utf-8") for name in archive.namelist()
                           if name.endswith(".xml"))
    return path.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(("fmt", "level"), [("csv", "visit"), ("csv", "step"), ("xlsx", "visit"),
                                            ("html", "visit"), ("json", "visit")])
def test_redaction_leaves_no_customer_name_or_ip(
    team: list[Path], tmp_path: Path, fmt: str, level: str
) -> None:
    text = file_text(export_to(team, tmp_path, fmt, level=level, redact=True))
    for secret in SECRETS:
        assert secret not in text, f"{secret} left in the {fmt} export"
    assert "CUSTOMER-001" in text


def test_redaction_is_consistent_within_one_export(team: list[Path], tmp_path: Path) -> None:
    text = export_to(team, tmp_path, "csv", redact=True).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    huaqiang = [row["customer"] for row in rows if row["engineer"] == "王工"
                and row["kind"] == "turnup" and row["status"] == "completed"]
    other = [row["customer"] for row in rows if row["started_at"].startswith("2024-05-08")]
    assert huaqiang == other and huaqiang[0].startswith("CUSTOMER-")  # both 华强电子
    assert {row["engineer"] for row in rows} == {"李工", "王工"}  # staff names are kept


def run_cli(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fieldkit", *args], capture_output=True, text=True, check=False,
        encoding="utf-8", env={**os.environ, "COLUMNS": str(columns)},
    )


def test_summary_command_json_and_notes(team: list[Path]) -> None:
    result = run_cli("report", "summary", *map(str, team), "--json")
    assert result.returncode == 0, result.stderr
    data = json_payload(result.stdout, "fieldkit.report-summary/1")
    assert data["summary"]["totals"]["visits"] == 10
    assert "duplicate" in result.stderr and "changed" in result.stderr  # notes go to stderr


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_command_dashboard_on_a_terminal(team: list[Path], lang: str, width: int) -> None:
    code, shown = on_pty("report", "summary", str(team[0]), "--lang", lang, columns=width)
    assert code == 0, shown
    assert widest_line(shown) <= width
    tile = "开通一次通过率" if lang == "zh" else "Turn-up first-time pass"
    assert tile in shown and "25.0%" in shown
    # The progress bar on stderr while records are read speaks the report's language too.
    assert ("正在读取记录" if lang == "zh" else "reading records") in shown
    assert "机房温度偏高" in shown
    other = "en" if lang == "zh" else "zh"
    assert all(heading in shown for heading in HEADINGS[lang])
    assert not any(heading in shown for heading in HEADINGS[other])
    # Verdicts by their names, in the report's language.
    assert ("连接正常" if lang == "zh" else "Connection normal") in shown
    assert not any(line.split()[:1] == ["ok"] for line in shown.splitlines())


def test_summary_command_piped_is_tab_separated_sections(team: list[Path]) -> None:
    result = run_cli("report", "summary", str(team[0]), "--lang", "zh")
    assert result.returncode == 0, result.stderr
    sections = {
        block.splitlines()[0]: [line.split("\t") for line in block.splitlines()[1:]]
        for block in result.stdout.split("\n\n")
    }
    assert list(sections) == ["# totals", "# by_checklist", "# ping_verdicts", "# top_failing",
                              "# windows", "# repair_limits", "# order_mix",
                              "# satisfaction_by_month", "# satisfaction_by_engineer",
                              "# followups", "# followups_closed", "# engineers"]
    assert ["visits", "10"] in sections["# totals"]
    verdicts = sections["# ping_verdicts"]
    assert verdicts[0] == ["verdict", "count", "share"]
    assert {row[0] for row in verdicts[1:]} <= {"ok", "slow", "partial_loss", "timeout",
                                                "local_unreachable", "remote_unreachable"}
    header, *rows = sections["# followups"]
    # Whole item ids (visit id # step - n), never cut to fit: they are typed back.
    assert header[-1] == "item" and rows
    assert all(re.fullmatch(r"\d{8}T\d{6}Z-\w{10}#[a-z_]+-\d+", row[-1]) for row in rows)


def test_export_command_writes_the_file_and_nothing_else_to_it(
    team: list[Path], tmp_path: Path
) -> None:
    output = tmp_path / "out.csv"
    result = run_cli("report", "export", *map(str, team), "--format", "csv", "-o", str(output),
                     "--kind", "turnup")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert len(output.read_text(encoding="utf-8-sig").splitlines()) == 1 + 5


def test_an_output_that_is_one_of_the_sources_is_refused_and_the_bundle_kept(
    team: list[Path], tmp_path: Path
) -> None:
    """A supervisor's `-o team-a.zip` used to replace the engineers' bundle with the report."""
    bundle = tmp_path / "team-a.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("manifest.json", "{}")
    before = bundle.read_bytes()
    result = run_cli("report", "export", str(team[0]), str(bundle), "--format", "xlsx",
                     "-o", str(bundle))
    assert result.returncode == 2
    assert result.stderr == (
        f"fieldkit: error: -o {bundle}: is one of the sources; the report would replace it\n"
    )
    assert bundle.read_bytes() == before


def test_an_output_folder_that_cannot_be_written_is_a_user_error_before_any_reading(
    team: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a user without write permission on the folder (root would write anyway)."""
    from fieldkit.errors import UserInputError
    from fieldkit.report import pipeline

    def denied(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied", str(tmp_path / ".report.csv.x"))

    def no_reading(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("sources read although the report cannot be written")

    monkeypatch.setattr(pipeline.tempfile, "mkstemp", denied)
    monkeypatch.setattr(pipeline, "_read_and_summarize", no_reading)
    with pytest.raises(UserInputError, match=r"cannot write .*report\.csv: Permission denied"):
        export_to(team, tmp_path, "csv")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "May 1"], "--since 'May 1'"),
        (["--kind", "party"], "--kind 'party'"),
        (["--status", "done"], "--status 'done'"),
    ],
)
def test_bad_filters_are_user_errors(team: list[Path], args: list[str], message: str) -> None:
    result = run_cli("report", "summary", str(team[0]), *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_filters_that_match_nothing_say_so(team: list[Path]) -> None:
    result = run_cli("report", "summary", str(team[0]), "--checklist", "lan-turnupp")
    assert result.returncode == 0
    assert "no visit matched the filters" in result.stderr
