"""What a record's rendering takes from the checklist copy the record carries."""

from __future__ import annotations

from datetime import datetime

from records_factory import CHECKLIST_YAML, CHINA, answers, completed, fields, snapshot

from fieldkit.records.models import VisitRecord, new_visit_id
from fieldkit.records.render import visit_view

AT = datetime(2024, 5, 12, 9, 30, tzinfo=CHINA)


def _record(source_text: str) -> VisitRecord:
    record = VisitRecord(
        visit_id=new_visit_id(AT),
        fieldkit_version="test",
        checklist=snapshot(source_text),
        started_at=AT,
        **fields().model_dump(),
    )
    return completed(record, AT)


def test_steps_are_titled_from_the_records_own_checklist() -> None:
    view = visit_view(_record(CHECKLIST_YAML), "en")
    assert [step.title for step in view.steps] == ["Gateway", "Power on", "Ping the gateway"]
    assert len(view.steps) == len(answers(AT))


def test_a_checklist_copy_failing_the_cross_step_checks_is_not_trusted_for_titles() -> None:
    # Valid for the models alone, but the ping targets a step that comes after it: the
    # validator rejects it, so rendering must not read it either (it shows the step ids).
    later_target = CHECKLIST_YAML.replace("target: gateway", "target: converter_power")
    view = visit_view(_record(later_target), "en")
    assert [step.title for step in view.steps] == ["gateway", "converter_power", "ping_gateway"]
