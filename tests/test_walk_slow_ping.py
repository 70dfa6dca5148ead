"""A slow but complete reply: the seed's normal outcome is time<50ms, but it never calls a
slower reply a failure. By default the step passes with a warning kept in the record (and the
first-time pass holds); `slow_fails: true` on the ping step makes it a failure."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from walk_support import QUICK_TURNUP, ScriptedPing

from fieldkit.checklist.load import load_checklist
from fieldkit.records.models import Outcome, VisitFields, VisitRecord
from fieldkit.records.store import RecordStore
from fieldkit.report.facts import is_first_time_pass
from fieldkit.report.pipeline import ReportOptions, export
from fieldkit.walk.machine import Walkthrough
from fieldkit.walk.visit import start_walk


def walk_quick(tmp_path: Path, verdicts: list[str], slow_fails: bool = False) -> Walkthrough:
    text = QUICK_TURNUP
    if slow_fails:
        text = text.replace("    target: gateway\n", "    target: gateway\n    slow_fails: true\n")
    path = tmp_path / "quick-turnup.yaml"
    path.write_text(text, encoding="utf-8")
    store = RecordStore(tmp_path / "records")
    fields = VisitFields(engineer="李工", customer="深圳某银行")
    return start_walk(store, load_checklist(path), fields, ping=ScriptedPing(verdicts), lang="en")


def ping_through(walk: Walkthrough) -> None:
    walk.answer("gateway", "127.0.0.1")
    walk.answer("cabled", True)
    walk.run_ping("ping_gateway")


def current_step(walk: Walkthrough) -> str | None:
    position = walk.current()
    return None if position is None else position.step.id


def finish(walk: Walkthrough) -> VisitRecord:
    walk.skip("remarks", "none")
    return walk.finish()


def test_a_slow_complete_reply_passes_with_the_warning_kept(tmp_path: Path) -> None:
    walk = walk_quick(tmp_path, ["slow"])
    ping_through(walk)
    assert current_step(walk) == "remarks"  # the step passed and the walk moved on
    record = finish(walk)
    ping = record.answer_for("ping_gateway")
    assert ping is not None and ping.passed is True and ping.value == "slow"
    assert ping.warning is not None
    assert "50 ms or more (longest 62 ms)" in ping.warning and "time<50ms" in ping.warning
    assert record.outcome is Outcome.PASSED
    assert is_first_time_pass(record) is True  # slow does not lower the first-time pass


def test_a_checklist_can_make_a_slow_reply_fail(tmp_path: Path) -> None:
    walk = walk_quick(tmp_path, ["slow"], slow_fails=True)
    ping_through(walk)
    assert current_step(walk) == "ping_gateway"  # open: re-test, record as failed, or quit
    walk.accept_ping_failure("ping_gateway")
    record = finish(walk)
    assert record.outcome is Outcome.FAILED and record.failed_steps == ["ping_gateway"]
    assert record.answer_for("ping_gateway").warning is None  # type: ignore[union-attr]


def test_a_slow_first_attempt_that_failed_the_step_is_no_first_time_pass(tmp_path: Path) -> None:
    walk = walk_quick(tmp_path, ["slow", "ok"], slow_fails=True)
    ping_through(walk)
    walk.run_ping("ping_gateway")  # the re-test is ok
    record = finish(walk)
    assert record.outcome is Outcome.PASSED
    assert is_first_time_pass(record) is False


@pytest.mark.parametrize(("verdict", "passes"), [("ok", True), ("slow", False)])
def test_records_from_before_the_walks_judgement_count_only_ok(
    tmp_path: Path, verdict: str, passes: bool
) -> None:
    walk = walk_quick(tmp_path, [verdict])
    ping_through(walk)
    record = finish(walk)
    ping = record.answer_for("ping_gateway")
    assert ping is not None
    older = [{k: v for k, v in attempt.items() if k != "passes_step"}
             for attempt in ping.ping_attempts]  # fmt: skip
    changed = ping.model_copy(update={"ping_attempts": older})
    old_record = record.model_copy(update={"answers": [*record.answers[:-1], changed]})
    assert is_first_time_pass(old_record) is passes


def test_the_step_level_report_shows_the_slow_warning(tmp_path: Path) -> None:
    walk = walk_quick(tmp_path, ["slow"])
    ping_through(walk)
    finish(walk)
    walk.close()
    out = tmp_path / "steps.csv"
    export(ReportOptions(sources=[tmp_path / "records"]), "csv", out, level="step")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["step_id"]: row for row in csv.DictReader(handle)}
    assert rows["ping_gateway"]["passed"] == "true"
    assert rows["ping_gateway"]["warning"].startswith("Slow: some round trips took 50 ms")
