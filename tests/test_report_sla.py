"""Repairs measured against the time-limit row that matches them, and the order mix beside the
seed's reference shares: hand-made visits whose figures are known in advance."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from test_report_helpers import TODAY, at, make, repair_answers, write

from fieldkit.report.pipeline import ReportOptions, export, summarize
from fieldkit.report.tables import summary_tables

HOUR = 60.0


def build_repairs(folder: Path) -> None:
    # 2024-05-09 is a Thursday.
    repairs = [
        # 800/4008, industry and high-end: 12 h (seed); 11 h is within.
        make("repair", started=at(9), grade="local-a",
             answers=repair_answers(at(9, 8), {"restored_at": 11 * HOUR},
                                    "number_800_4008", "industry_high_end")),
        # 800/4008, brand: 24 h (seed); 30 h is not.
        make("repair", started=at(9), grade="local-a",
             answers=repair_answers(at(9, 8), {"restored_at": 30 * HOUR},
                                    "number_800_4008", "brand")),
        # Industry apps: 3 working days (seed). Thursday 15:30 to Tuesday 10:00 is 4.8 days
        # on the calendar but under 3 working days: within.
        make("repair", started=at(9, 15), grade=None,
             answers=repair_answers(at(9, 15, 30), {"restored_at": (4 * 24 + 18.5) * HOUR},
                                    "industry_apps")),
        # Business Navigator / ICT: the seed's table has no legible figure: no limit known.
        make("repair", started=at(10), grade="group",
             answers=repair_answers(at(10, 8), {"restored_at": 2 * HOUR}, "navigator_ict")),
        # A LAN line of a local B customer: 48 h, assumed; 50 h is not within.
        make("repair", started=at(10), grade="local-b",
             answers=repair_answers(at(10, 8), {"restored_at": 50 * HOUR}, "bandwidth")),
    ]  # fmt: skip
    turnups = [
        make("turnup", started=at(12), order_type="new"),
        make("turnup", started=at(13), order_type="new"),
        make("turnup", started=at(14), order_type="new"),
        make("turnup", started=at(15), order_type="change"),
        make("turnup", started=at(16), order_type=None),
    ]
    for record in [*repairs, *turnups]:
        write(folder, record)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    build_repairs(tmp_path / "team")
    return tmp_path / "team"


def test_each_repair_is_measured_against_its_own_row(folder: Path) -> None:
    repairs = summarize(ReportOptions(sources=[folder], today=TODAY)).summary.repairs
    assert (repairs.completed_repairs, repairs.measured, repairs.within_limit) == (5, 4, 2)
    assert repairs.within_limit_rate == pytest.approx(0.5)
    assert (repairs.measured_assumed, repairs.no_limit_known) == (1, 1)
    rows = [(r.applies_to, r.limit, r.source, r.repairs, r.within) for r in repairs.by_limit]
    assert rows == [
        ("800 and 4008 numbers · industry and high-end customers", "12 h", "seed", 1, 1),
        ("800 and 4008 numbers · brand government & enterprise customers", "24 h", "seed", 1, 0),
        ("converged products and mobile industry applications", "3 working days", "seed", 1, 1),
        ("bandwidth services · local B, local C", "48 h", "assumed", 1, 0),
        ("no limit known", None, None, 1, None),
    ]


def test_the_repair_limit_table_says_seed_or_assumed_next_to_each_figure(folder: Path) -> None:
    summary = summarize(ReportOptions(sources=[folder], today=TODAY, lang="zh")).summary
    table = summary_tables(summary)["repair_limits"]
    source = table.index("limit_source")
    assert [row[source] for row in table.rows] == ["seed", "seed", "seed", "assumed", None]
    assert table.rows[-1][0] == "无已知时限"
    assert table.rows[2][table.index("limit")] == "3个工作日"


def test_the_csv_row_of_a_repair_names_its_limit_and_where_it_comes_from(
    folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "visits.csv"
    export(ReportOptions(sources=[folder], today=TODAY), "csv", out)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["kind"] == "repair"]
    shown = {
        (row["business_category"], row["repair_limit"], row["repair_limit_hours"],
         row["repair_limit_source"], row["repair_within_limit"])
        for row in rows
    }  # fmt: skip
    assert shown == {
        ("number_800_4008", "12 h", "12.0", "seed", "true"),
        ("number_800_4008", "24 h", "24.0", "seed", "false"),
        ("industry_apps", "3 working days", "", "seed", "true"),
        ("navigator_ict", "", "", "", ""),
        ("bandwidth", "48 h", "48.0", "assumed", "false"),
    }


def test_the_order_mix_stands_next_to_the_seeds_reference_shares(folder: Path) -> None:
    mix = summarize(ReportOptions(sources=[folder], today=TODAY)).summary.order_mix
    # Four visits name an order type (the repairs and one turn-up do not).
    assert [(o.order_type, o.visits, o.share, o.reference_share) for o in mix] == [
        ("new", 3, pytest.approx(0.75), pytest.approx(0.65)),
        ("relocate", 0, 0.0, pytest.approx(0.11)),
        ("remove", 0, 0.0, pytest.approx(0.09)),
        ("change", 1, pytest.approx(0.25), pytest.approx(0.15)),
    ]


def test_each_engineer_says_how_many_of_their_repairs_met_an_assumed_limit(
    folder: Path,
) -> None:
    summary = summarize(ReportOptions(sources=[folder], today=TODAY)).summary
    (engineer,) = [e for e in summary.engineers if e.repairs_measured]
    assert (engineer.repairs_measured, engineer.repairs_within_limit) == (4, 2)
    assert engineer.repairs_measured_assumed == 1
    table = summary_tables(summary)["engineers"]
    row = next(row for row in table.rows if row[0] == engineer.engineer)
    assert row[table.index("repairs_assumed")] == 1
