"""What a record's rendering takes from the checklist copy the record carries."""

from __future__ import annotations

from datetime import datetime

from records_factory import CHECKLIST_YAML, CHINA, answers, completed, fields, snapshot

from fieldkit.records.identity import new_visit_id
from fieldkit.records.models import VisitRecord
from fieldkit.records.view import visit_view

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


def _with_explanations(record: VisitRecord, explanations: list[dict[str, object]]) -> VisitRecord:
    ping = record.answers[-1]
    attempts = [
        {**attempt, "lang": "en", "explanation": explanation}
        for attempt, explanation in zip(ping.ping_attempts, explanations, strict=True)
    ]
    changed = ping.model_copy(update={"ping_attempts": attempts})
    return record.model_copy(update={"answers": [*record.answers[:-1], changed]})


def test_practice_advice_in_a_record_is_tagged_and_older_advice_is_shown_as_written() -> None:
    tagged = {
        "meaning": "Nothing came back.",
        "meaning_source": "practice",
        "next_checks": ["Check RLK.", "Go on to the seed's step 6."],
        "next_check_sources": ["practice", "seed"],
    }
    older = {"meaning": "Nothing came back.", "next_checks": ["Check RLK."]}
    record = _with_explanations(_record(CHECKLIST_YAML), [tagged, older])
    new_attempt, old_attempt = visit_view(record, "en").steps[-1].pings
    assert new_attempt.meaning == "Nothing came back. (field practice)"
    assert new_attempt.next_checks == ["Check RLK. (field practice)", "Go on to the seed's step 6."]
    assert old_attempt.meaning == "Nothing came back."
    assert old_attempt.next_checks == ["Check RLK."]
