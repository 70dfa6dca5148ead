"""Walking a visit from an answers file: the same checks as typed answers, errors name the step."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from records_factory import fields
from walk_support import LAN_ANSWERS, ScriptedPing, lan_turnup, small_checklist

from fieldkit.errors import ValidationFailed
from fieldkit.records.models import Outcome, VisitStatus
from fieldkit.records.store import RecordStore
from fieldkit.walk.answers_file import AnswersFileError, load_answers_file, walk_from_file
from fieldkit.walk.visit import start_walk


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_json_answers_file_walks_the_turn_up_to_the_end(tmp_path: Path) -> None:
    file = tmp_path / "answers.json"
    file.write_text(json.dumps({"customer": "深圳某银行", **LAN_ANSWERS}), encoding="utf-8")
    answers = load_answers_file(file)
    assert answers.visit == {"customer": "深圳某银行"}
    answers.check_steps(lan_turnup().checklist)

    walk = start_walk(RecordStore(tmp_path), lan_turnup(), fields(), ping=ScriptedPing(), lang="en")
    walk_from_file(walk, answers)
    record = walk.finish()
    assert record.outcome is Outcome.PASSED
    assert record.answer_for("converter_power").value is True  # type: ignore[union-attr]


def test_a_non_ok_ping_is_recorded_as_failed_and_the_walk_goes_on(tmp_path: Path) -> None:
    file = tmp_path / "answers.json"
    file.write_text(json.dumps(LAN_ANSWERS), encoding="utf-8")
    walk = start_walk(
        RecordStore(tmp_path), lan_turnup(), fields(), ping=ScriptedPing(["timeout"]), lang="en"
    )
    walk_from_file(walk, load_answers_file(file))
    record = walk.finish()
    assert record.outcome is Outcome.FAILED and record.failed_steps == ["ping_gateway"]
    assert record.answer_for("customer_device").passed is True  # type: ignore[union-attr]


def test_an_invalid_answer_stops_with_the_step_and_its_line_and_keeps_what_came_before(
    tmp_path: Path,
) -> None:
    file = write(
        tmp_path / "answers.yaml",
        "customer: 某银行\ndata_team_ready: yes\ncustomer_ip: 127.0.0.2\nsubnet_mask: 255.0.0.0\n"
        "gateway: 300.1.1.1\n",
    )
    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, lan_turnup(), fields(), ping=ScriptedPing(), lang="en")
    with pytest.raises(AnswersFileError) as stopped:
        walk_from_file(walk, load_answers_file(file))
    assert str(stopped.value).startswith(f"{file}:5:")
    assert "step gateway: not an IPv4 address: 300.1.1.1" in str(stopped.value)
    saved = store.load(stopped.value.visit_id)
    assert saved.status is VisitStatus.IN_PROGRESS
    assert [answer.step_id for answer in saved.answers] == [
        "data_team_ready",
        "customer_ip",
        "subnet_mask",
    ]


def test_a_missing_required_answer_names_the_step(tmp_path: Path) -> None:
    file = write(tmp_path / "answers.yaml", "data_team_ready: yes\ncustomer_ip: 127.0.0.2\n")
    walk = start_walk(RecordStore(tmp_path), lan_turnup(), fields(), ping=ScriptedPing(), lang="en")
    with pytest.raises(AnswersFileError, match="step subnet_mask: no answer in the file"):
        walk_from_file(walk, load_answers_file(file))


def test_optional_steps_left_out_or_skipped_explicitly_are_skipped(tmp_path: Path) -> None:
    file = write(
        tmp_path / "answers.yaml",
        "room_temperature: 21\npower_ok: yes\nphoto: {skip: camera broken}\ndone: true\n",
    )
    checklist = small_checklist(tmp_path)
    walk = start_walk(RecordStore(tmp_path), checklist, fields(), ping=ScriptedPing(), lang="en")
    walk_from_file(walk, load_answers_file(file))
    record = walk.finish()
    comments, photo = record.answer_for("comments"), record.answer_for("photo")
    assert comments is not None and comments.skip_reason == "not in the answers file"
    assert photo is not None and photo.skip_reason == "camera broken"
    assert record.outcome is Outcome.COMPLETED  # an inspection


def test_unknown_step_ids_and_answered_ping_steps_are_reported_with_their_lines(
    tmp_path: Path,
) -> None:
    file = write(tmp_path / "answers.yaml", "customer: x\ngatway: 127.0.0.1\nping_gateway: ok\n")
    with pytest.raises(ValidationFailed) as failed:
        load_answers_file(file).check_steps(lan_turnup().checklist)
    assert failed.value.problems == [
        f"{file}:2:1: no step 'gatway' in checklist lan-turnup (did you mean gateway?)",
        f"{file}:3:1: step ping_gateway is a ping step: it is run, not answered",
    ]


def test_an_answers_file_must_be_a_mapping(tmp_path: Path) -> None:
    file = write(tmp_path / "answers.yaml", "- customer_ip\n")
    with pytest.raises(ValidationFailed, match="answers file is a mapping"):
        load_answers_file(file)


def test_a_pigtail_number_written_as_a_decimal_is_recorded_as_written(tmp_path: Path) -> None:
    text = "".join(
        f"{key}: {'7.10' if key == 'pigtail_number' else json.dumps(value)}\n"
        for key, value in LAN_ANSWERS.items()
    )
    file = write(tmp_path / "answers.yaml", text)
    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, lan_turnup(), fields(), ping=ScriptedPing(), lang="en")
    walk_from_file(walk, load_answers_file(file))
    record = walk.finish()
    assert record.answer_for("pigtail_number").value == "7.10"  # type: ignore[union-attr]


def _walk_small(tmp_path: Path, power_ok: str) -> tuple[RecordStore, object, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    file = write(
        tmp_path / "answers.yaml", f"room_temperature: 21\npower_ok: {power_ok}\ndone: true\n"
    )
    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, small_checklist(tmp_path), fields(), ping=ScriptedPing(), lang="en")
    return store, walk, file


def test_a_check_that_ends_the_visit_ends_it_only_when_the_file_confirms_it(
    tmp_path: Path,
) -> None:
    store, walk, file = _walk_small(tmp_path, "no")
    with pytest.raises(AnswersFileError, match=r"answers.yaml:2:1: step power_ok: this check "
                       r"ends the visit when it fails: confirm with"):
        walk_from_file(walk, load_answers_file(file))  # type: ignore[arg-type]
    on_disk = store.load(walk.record.visit_id)  # type: ignore[attr-defined]
    assert on_disk.status is VisitStatus.IN_PROGRESS  # resumable, the failed attempt kept
    assert [a.value for a in on_disk.answer_for("power_ok").check_attempts] == [False]  # type: ignore[union-attr]

    _, walk, file = _walk_small(tmp_path / "b", "{attempts: [no], end_visit: true}")
    walk_from_file(walk, load_answers_file(file))  # type: ignore[arg-type]
    record = walk.finish()  # type: ignore[attr-defined]
    assert record.failed_steps == ["power_ok"]
    assert record.answer_for("done").skip_reason == "the failed check power_ok ends the visit"


def test_a_check_done_again_in_a_file_keeps_every_attempt(tmp_path: Path) -> None:
    _, walk, file = _walk_small(tmp_path, "{attempts: [no, n, yes]}")
    walk_from_file(walk, load_answers_file(file))  # type: ignore[arg-type]
    record = walk.finish()  # type: ignore[attr-defined]
    power = record.answer_for("power_ok")
    assert power.passed is True and [a.value for a in power.check_attempts] == [False, False, True]
    assert record.outcome is Outcome.COMPLETED and record.failed_steps == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("{attempts: [yes, no]}", "attempt 1 passes the check: only the last attempt can pass"),
        ("{attempts: [yes], end_visit: true}", "end_visit: true, but the last attempt passed"),
        ("{attempts: []}", "a check is answered yes or no, or {attempts"),
        ("{answer: no}", "a check is answered yes or no, or {attempts: [no, yes], end_visit: "
         "true} (unknown key 'answer')"),
        ("{attempts: [no], end_visit: maybe}", "end_visit is true or false"),
    ],
)
def test_a_check_written_wrongly_in_a_file_is_one_line_naming_it(
    tmp_path: Path, given: str, message: str
) -> None:
    _, walk, file = _walk_small(tmp_path, given)
    with pytest.raises(AnswersFileError, match=re.escape(f"step power_ok: {message}")):
        walk_from_file(walk, load_answers_file(file))  # type: ignore[arg-type]


def test_the_answers_file_in_the_walkthrough_page_walks_the_turn_up_to_a_pass(
    tmp_path: Path,
) -> None:
    page = (Path(__file__).parents[1] / "docs" / "walkthrough.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(# lan-turnup answered from a file.*?)```", page, re.DOTALL)
    assert example is not None, "the answers-file example left docs/walkthrough.md"
    answers = load_answers_file(write(tmp_path / "visit.yaml", example.group(1)))
    answers.check_steps(lan_turnup().checklist)

    ping = ScriptedPing()  # the example's gateway is a real-looking address: never pinged here
    walk = start_walk(RecordStore(tmp_path), lan_turnup(), fields(), ping=ping, lang="en")
    walk_from_file(walk, answers)
    record = walk.finish()
    assert record.outcome is Outcome.PASSED
    assert ping.calls[0]["target"] == answers.answers["gateway"]
    assert record.answer_for("pigtail_on_odf").skipped  # type: ignore[union-attr]
