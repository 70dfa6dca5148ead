"""Records of an older built-in checklist still read and report after the checklist changed."""

from __future__ import annotations

from pathlib import Path

from test_report_helpers import TODAY, at, ping, visit_id, write

from fieldkit.paths import builtin_checklists_dir
from fieldkit.records.models import (
    ChecklistSnapshot,
    Outcome,
    StepAnswer,
    VisitRecord,
    VisitStatus,
)
from fieldkit.records.view import visit_view
from fieldkit.report.pipeline import ReportOptions, summarize
from fieldkit.text import Text

OLD_LAN_TURNUP = Path(__file__).parent / "fixtures" / "checklists" / "lan-turnup-1.0.yaml"
NEW_LAN_TURNUP = builtin_checklists_dir() / "lan-turnup.yaml"


def lan_record(checklist_file: Path, version: str, with_data_team: bool) -> VisitRecord:
    started = at(6)
    answers = [
        StepAnswer(
            step_id="customer_ip", step_type="record", value="10.1.2.10", answered_at=started
        ),
        StepAnswer(step_id="gateway", step_type="record", value="10.1.2.1", answered_at=started),
        StepAnswer(
            step_id="converter_power", step_type="instruction", value=False, passed=False,
            answered_at=started,
        ),
        StepAnswer(
            step_id="ping_gateway", step_type="ping", value="ok", passed=True,
            answered_at=started, ping_attempts=[ping("ok")],
        ),
    ]  # fmt: skip
    if with_data_team:
        ready = StepAnswer(
            step_id="data_team_ready", step_type="check", value=True, passed=True,
            answered_at=started,
        )  # fmt: skip
        answers.insert(0, ready)
    return VisitRecord(
        engineer="李工",
        customer="深圳某银行",
        visit_id=visit_id(started),
        fieldkit_version="0.1.0",
        checklist=ChecklistSnapshot.from_source(
            checklist_file.read_text(encoding="utf-8"),
            id="lan-turnup",
            version=version,
            kind="turnup",
            title=Text(zh="专线LAN接入开通调测", en="LAN leased-line turn-up"),
        ),
        started_at=started,
        finished_at=at(7),
        status=VisitStatus.COMPLETED,
        outcome=Outcome.FAILED,
        failed_steps=["converter_power"],
        answers=answers,
    ).sealed()


def test_a_lan_turnup_1_0_record_reports_next_to_a_1_1_record(tmp_path: Path) -> None:
    old = lan_record(OLD_LAN_TURNUP, "1.0", with_data_team=False)
    new = lan_record(NEW_LAN_TURNUP, "1.1", with_data_team=True)
    for record in (old, new):
        write(tmp_path, record)
    summary = summarize(ReportOptions(sources=[tmp_path], today=TODAY, lang="en")).summary
    (lan,) = summary.checklists
    assert (lan.checklist_id, lan.counts.visits, lan.counts.failed) == ("lan-turnup", 2, 2)
    (failing,) = summary.top_failing_steps
    assert (failing.step_id, failing.count) == ("converter_power", 2)
    assert failing.title == "Install and power the media converter"


def test_a_lan_turnup_1_0_record_shows_its_own_steps_and_numbers(tmp_path: Path) -> None:
    old_view = visit_view(lan_record(OLD_LAN_TURNUP, "1.0", with_data_team=False), "en")
    new_view = visit_view(lan_record(NEW_LAN_TURNUP, "1.1", with_data_team=True), "en")
    assert old_view.steps[0].title == "Record the allocated customer IP address"
    assert new_view.steps[0].title == (
        "The data team has finished the exchange-side tests and data"
    )


def test_a_report_shows_a_step_reference_in_a_title_as_the_walks_number() -> None:
    from fieldkit.report.titles import StepTitles

    text = """\
schema: 1
id: refs
version: "1.0"
kind: turnup
title: Refs
description: Refs
steps:
  - {id: gateway, type: record, input: ipv4, title: Gateway}
  - {id: ping_gateway, type: ping, target: gateway, title: Ping}
  - id: check
    type: check
    title:
      zh: 第{step:ping_gateway}步是否正常
      en: Step {step:ping_gateway} was normal
"""
    snapshot = ChecklistSnapshot.from_source(
        text, id="refs", version="1.0", kind="turnup", title=Text(zh="Refs", en="Refs")
    )
    assert StepTitles("en").title(snapshot, "check") == "Step 2 was normal"
    assert StepTitles("zh").title(snapshot, "check") == "第2步是否正常"
