"""Every table at 80 and 120 columns and piped: full ids, names and statuses, whole headers,
no line wider than the terminal, zh headers in zh mode."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cli_runner import json_payload
from hypothesis import given, settings
from hypothesis import strategies as st
from records_factory import CHINA, answers, completed, fields, snapshot
from screens import WIDTHS, on_pty, reads, render, widest_line

from fieldkit.cells import cell_width, wrap_cells
from fieldkit.checklist.registry import list_checklists
from fieldkit.records.models import VisitRecord
from fieldkit.records.store import RecordStore
from fieldkit.ui.listings import checklists_table, resume_table, visits_table
from fieldkit.ui.tables import Column, FitTable

CUSTOMERS = ["深圳市福田区某某银行股份有限公司", "Shenzhen Harbour Logistics Co., Ltd.", "旧客户"]


@pytest.fixture
def records(tmp_path: Path) -> tuple[Path, list[VisitRecord]]:
    root = tmp_path / "records"
    start = datetime(2026, 5, 1, 9, 0, tzinfo=CHINA)
    for number, customer in enumerate(CUSTOMERS):
        at = start + timedelta(days=number)
        store = RecordStore(root, clock=lambda at=at: at)
        with store.create(fields(customer), snapshot()) as handle:
            if number < 2:
                handle.save(completed(handle.record, at))
            else:
                handle.save(handle.record.model_copy(update={"answers": answers(at)[:1]}))
    return root, list(RecordStore(root).iter_records())


def test_fit_table_keeps_every_value_whole_or_stacks() -> None:
    table = FitTable([Column("id", "Visit id", keep=True), Column("note", "Note", wrap=True),
                      Column("extra", "Extra")])
    table.add_row("20260501T010000Z-ABCDEFGHJK", "a short note", "x")
    wide = render(table, 120)
    assert wide.splitlines()[0].split() == ["Visit", "id", "Note", "Extra"]
    narrow = render(table, 42)  # the optional column goes, and says so
    assert narrow.splitlines()[0].split() == ["Visit", "id", "Note"]
    assert "Not shown at this width: Extra" in " ".join(narrow.split())
    stacked = render(table, 20).splitlines()  # the id alone is wider: each row is a block
    assert stacked[0] + stacked[1] == "20260501T010000Z-ABCDEFGHJK"
    assert stacked[2:] == ["  Note: a short note", "  Extra: x"]


@settings(max_examples=150, deadline=None)
@given(
    width=st.integers(min_value=30, max_value=160),
    rows=st.lists(
        st.tuples(
            st.text(alphabet="ABCDEFGHJK0123456789-T", min_size=1, max_size=27),
            st.text(alphabet="深圳市银行有限公司 abcdefgh,.（）", min_size=0, max_size=30),
            st.sampled_from(["已完成 / 通过", "in progress", "completed / failed"]),
            st.text(alphabet="设备光纤 cable fibre。，", min_size=0, max_size=60),
        ),
        min_size=1, max_size=5,
    ),
)
def test_no_line_is_wider_than_the_terminal_and_no_id_or_status_is_cut(
    width: int, rows: list[tuple[str, str, str, str]]
) -> None:
    table = FitTable([Column("id", "走访编号", keep=True), Column("customer", "客户", keep=True),
                      Column("status", "状态", keep=True), Column("note", "说明", wrap=True)],
                     lang="zh")
    for row in rows:
        table.add_row(*row)
    shown = render(table, width)
    assert widest_line(shown) <= width
    lines = shown.splitlines()
    for visit_id, _, status, _ in rows:
        if cell_width(visit_id) < width - 2:  # an id wider than the screen has to break
            assert any(visit_id in line for line in lines), (visit_id, shown)
        assert any(status in line for line in lines), (status, shown)
    assert table.fit(width) is None or any("走访编号" in line for line in lines)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_visits_table_shows_full_ids_customers_and_statuses(
    records: tuple[Path, list[VisitRecord]], width: int, lang: str
) -> None:
    found = records[1]
    table = visits_table(found, lang)  # type: ignore[arg-type]
    shown = render(table, width)
    assert widest_line(shown) <= width
    lines = shown.splitlines()
    layout = table.fit(width)
    assert layout is not None  # a table, not stacked blocks, at 80 columns
    indices, widths = layout
    customer_width = widths[indices.index(3)]
    for record in found:
        at = next(n for n, line in enumerate(lines) if record.visit_id in line)
        assert record.status.label.get(lang) in lines[at]  # type: ignore[arg-type]
        # A long name wraps inside its column, never cut: its pieces on consecutive lines.
        pieces = wrap_cells(record.customer, customer_width)
        assert all(piece in line for piece, line in zip(pieces, lines[at:], strict=False))
        assert len(pieces) == 1 or width == 80
    headers = ["走访编号", "客户", "状态"] if lang == "zh" else ["Visit id", "Customer", "Status"]
    assert all(header in shown.splitlines()[0] for header in headers)
    if lang == "zh":
        assert "Visit id" not in shown and "Status" not in shown and "completed" not in shown
        assert "已完成 / 通过" in shown


def test_visits_table_at_120_columns_shows_every_column_of_short_names(
    records: tuple[Path, list[VisitRecord]]
) -> None:
    shown = render(visits_table([r for r in records[1] if r.customer == "旧客户"], "en"), 120)
    assert shown.splitlines()[0].split() == [
        "Visit", "id", "Started", "Checklist", "Customer", "Engineer", "Status", "Steps"]
    assert "Not shown" not in shown


def test_a_very_narrow_terminal_stacks_each_visit(records: tuple[Path, list[VisitRecord]]) -> None:
    shown = render(visits_table(records[1], "zh"), 40)
    assert widest_line(shown) <= 40
    for record in records[1]:
        assert record.visit_id in shown.splitlines()
    for record in records[1]:
        assert reads(shown, f"客户: {record.customer}")
        assert f"状态: {record.status.label.get('zh')}" in shown


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_resume_table_fits_and_is_in_the_walks_language(
    records: tuple[Path, list[VisitRecord]], width: int, lang: str
) -> None:
    title = "进行中的走访" if lang == "zh" else "Visits in progress"
    shown = render(resume_table(records[1], lang, title), width)  # type: ignore[arg-type]
    assert widest_line(shown) <= width
    assert shown.startswith(title)
    assert ("序号" if lang == "zh" else "#") in shown.splitlines()[1]
    for number, record in enumerate(records[1], start=1):
        assert any(line.lstrip().startswith(f"{number} ") and record.visit_id in line
                   for line in shown.splitlines())


@pytest.mark.parametrize("width", WIDTHS)
def test_checklists_table_in_zh(width: int) -> None:
    shown = render(checklists_table(list_checklists(), "zh"), width)
    assert widest_line(shown) <= width
    assert shown.splitlines()[0].split()[:2] == ["编号", "类型"]
    assert "开通及故障处理前备件与工具检查" in shown
    assert "lan-turnup" in shown


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_visits_list_on_a_real_terminal(
    records: tuple[Path, list[VisitRecord]], width: int
) -> None:
    root, found = records
    code, shown = on_pty("visits", "list", "--records", str(root), "--lang", "zh",
                         columns=width)
    assert code == 0
    assert widest_line(shown) <= width
    for record in found:
        assert record.visit_id in shown and record.customer in shown


def test_visits_list_piped_is_tab_separated_full_values(
    records: tuple[Path, list[VisitRecord]], capsys: pytest.CaptureFixture[str]
) -> None:
    from fieldkit.cli.app import run_app

    root, found = records
    with pytest.raises(SystemExit):
        run_app(["visits", "list", "--records", str(root), "--lang", "zh"])
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split("\t") == ["visit_id", "started", "checklist", "customer", "engineer",
                                  "status", "steps"]
    assert [row.split("\t")[0] for row in rows] == [record.visit_id for record in found]
    assert [row.split("\t")[3] for row in rows] == [record.customer for record in found]


def test_json_stays_available_for_machines(
    records: tuple[Path, list[VisitRecord]], capsys: pytest.CaptureFixture[str]
) -> None:
    from fieldkit.cli.app import run_app

    with pytest.raises(SystemExit):
        run_app(["visits", "list", "--records", str(records[0]), "--json"])
    assert {
        visit["customer"] for visit in json_payload(capsys.readouterr().out, "fieldkit.visits/1")
    } == set(CUSTOMERS)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_followups_table_shows_every_id_problem_and_closure_whole(
    tmp_path: Path, width: int, lang: str
) -> None:
    from followups_support import team
    from test_report_helpers import TODAY

    from fieldkit.followups.service import close_item, list_followups
    from fieldkit.ui.followups import followups_table

    root = tmp_path / "records"
    team(root)
    first = list_followups([root], today=TODAY).items[0]
    close_item(RecordStore(root), first.item_id, "滤网已清洗，机房温度恢复正常",
               now=datetime(2024, 6, 1, 10, 0, tzinfo=CHINA))
    items = list_followups([root], today=TODAY).items
    shown = render(followups_table(items, lang), width)  # type: ignore[arg-type]
    assert widest_line(shown) <= width
    lines = shown.splitlines()
    for item in items:
        assert any(item.item_id in line for line in lines)
        assert reads(shown, item.problem) and reads(shown, item.customer)
    assert reads(shown, "滤网已清洗，机房温度恢复正常")
    assert ("已逾期" if lang == "zh" else "overdue") in shown
    if lang == "zh":
        assert not any(word in shown for word in ("overdue", "Problem", "Owner"))
