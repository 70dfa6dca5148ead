"""The walkthrough state machine with a scripted ping and a temporary records folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from records_factory import fields
from walk_support import (
    LAN_ANSWERS,
    ScriptedPing,
    lan_turnup,
    small_checklist,
)

from fieldkit.checklist.answers import AnswerError
from fieldkit.records.models import Outcome, VisitStatus, verify_digest
from fieldkit.records.render import render_html, render_markdown
from fieldkit.records.store import RecordStore
from fieldkit.walk.machine import WalkRefused, Walkthrough
from fieldkit.walk.visit import resume_walk, start_walk


def start_lan(tmp_path: Path, ping: ScriptedPing | None = None) -> tuple[RecordStore, Walkthrough]:
    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, lan_turnup(), fields(), ping=ping or ScriptedPing(), lang="en")
    return store, walk


def answer_until(walk: Walkthrough, last_step: str, answers: dict[str, object]) -> None:
    """Answer the steps in order up to and including `last_step` (pings are run)."""
    while (position := walk.current()) is not None:
        step_id = position.step.id
        if position.step.type == "ping":
            walk.run_ping(step_id)
        else:
            walk.answer(step_id, answers[step_id])
        if step_id == last_step:
            return
    raise AssertionError(f"{last_step} was never asked")


def current_id(walk: Walkthrough) -> str | None:
    position = walk.current()
    return None if position is None else position.step.id


def test_lan_turnup_walked_to_the_end_passes_and_is_sealed(tmp_path: Path) -> None:
    ping = ScriptedPing(["ok"])
    store, walk = start_lan(tmp_path, ping)
    first = walk.current()
    assert first is not None and (first.index, first.total) == (0, 12)

    answer_until(walk, "customer_device", LAN_ANSWERS)
    assert walk.done
    record = walk.finish()
    walk.close()

    assert record.status is VisitStatus.COMPLETED and record.outcome is Outcome.PASSED
    assert [answer.step_id for answer in record.answers] == [
        step.id for step in lan_turnup().checklist.steps
    ]
    assert ping.calls == [{"target": "127.0.0.1", "mask": "255.0.0.0", "count": 4}]
    ping_answer = record.answer_for("ping_gateway")
    assert ping_answer is not None and ping_answer.passed is True
    assert ping_answer.ping_attempts[0]["verdict"] == "ok"
    on_disk = store.load(record.visit_id)
    assert verify_digest(on_disk)
    assert on_disk.answer_for("pigtail_number").value == "GJ-07/12"  # type: ignore[union-attr]


def test_every_confirmed_answer_is_on_disk_before_answer_returns(tmp_path: Path) -> None:
    store, walk = start_lan(tmp_path)
    walk.answer("data_team_ready", True)
    walk.answer("customer_ip", "127.0.0.2")
    walk.answer("subnet_mask", "/8")
    saved = store.load(walk.record.visit_id)
    assert [(answer.step_id, answer.value) for answer in saved.answers] == [
        ("data_team_ready", True),
        ("customer_ip", "127.0.0.2"),
        ("subnet_mask", "255.0.0.0"),
    ]
    assert saved.answers[1].answered_at is not None


def test_an_invalid_answer_is_refused_with_the_reason_and_nothing_is_stored(
    tmp_path: Path,
) -> None:
    store, walk = start_lan(tmp_path)
    walk.answer("data_team_ready", True)
    with pytest.raises(AnswerError) as refused:
        walk.answer("customer_ip", "10.0.0.300")
    assert "not an IPv4 address" in refused.value.reason.en
    assert [answer.step_id for answer in store.load(walk.record.visit_id).answers] == [
        "data_team_ready"
    ]
    assert current_id(walk) == "customer_ip"


def test_an_answer_for_another_step_than_the_current_one_is_refused(tmp_path: Path) -> None:
    _, walk = start_lan(tmp_path)
    with pytest.raises(WalkRefused):
        walk.answer("gateway", "127.0.0.1")


def test_sc_pigtail_skips_the_odf_step_with_the_condition_as_reason(tmp_path: Path) -> None:
    _, walk = start_lan(tmp_path)
    answer_until(walk, "converter_power", {**LAN_ANSWERS, "pigtail_connector": "SC"})
    notices = walk.take_notices()
    assert [notice.step.id for notice in notices] == ["pigtail_on_odf"]
    assert "pigtail_connector ≠ FC" in notices[0].reason
    skipped = walk.record.answer_for("pigtail_on_odf")
    assert skipped is not None and skipped.skipped and skipped.answered_at is None
    assert current_id(walk) == "pigtail_into_converter"


def test_back_then_a_changed_answer_re_evaluates_later_conditions(tmp_path: Path) -> None:
    _, walk = start_lan(tmp_path)
    answer_until(walk, "pigtail_on_odf", LAN_ANSWERS)
    assert current_id(walk) == "pigtail_into_converter"

    assert walk.back().step.id == "pigtail_on_odf"
    assert walk.back().step.id == "converter_power"
    revisit = walk.back()
    assert revisit.step.id == "pigtail_connector" and revisit.revisiting
    walk.answer("pigtail_connector", "SC")

    odf = walk.record.answer_for("pigtail_on_odf")
    assert odf is not None and odf.skipped and odf.value is None
    power = walk.record.answer_for("converter_power")
    assert power is not None and power.value is True  # kept: it does not depend on the change
    assert current_id(walk) == "pigtail_into_converter"

    # And back to FC: the ODF step is asked again.
    while current_id(walk) != "pigtail_connector":
        walk.back()
    walk.answer("pigtail_connector", "FC")
    assert current_id(walk) == "pigtail_on_odf"


def test_back_at_the_first_step_is_refused(tmp_path: Path) -> None:
    _, walk = start_lan(tmp_path)
    with pytest.raises(WalkRefused):
        walk.back()


def test_required_steps_cannot_be_skipped_optional_ones_keep_the_reason(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, small_checklist(tmp_path), fields(), ping=ScriptedPing(), lang="zh")
    with pytest.raises(WalkRefused):
        walk.skip("room_temperature", "no thermometer")
    judgement = walk.answer("room_temperature", "29.5")
    assert judgement.outcome == "warning"
    with pytest.raises(WalkRefused):
        walk.skip("comments", "   ")
    walk.skip("comments", "客户没有意见")
    saved = store.load(walk.record.visit_id)
    temperature = saved.answer_for("room_temperature")
    assert temperature is not None and temperature.unit == "°C" and temperature.warning
    comments = saved.answer_for("comments")
    assert comments is not None and comments.skipped and comments.skip_reason == "客户没有意见"


def _small_walk_failing_power(tmp_path: Path) -> tuple[RecordStore, Walkthrough]:
    """The small inspection walked up to its power check, answered no."""
    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, small_checklist(tmp_path), fields(), ping=ScriptedPing(), lang="en")
    walk.answer("room_temperature", 22)
    walk.answer("comments", "fine")
    walk.answer("power_ok", "no")
    return store, walk


def test_a_failed_check_that_cannot_continue_ends_the_inspection_not_completed(
    tmp_path: Path,
) -> None:
    _, walk = _small_walk_failing_power(tmp_path)
    # A failed check is not a dead end: it waits for the engineer's choice.
    assert not walk.done and walk.failed_check() is not None
    with pytest.raises(WalkRefused, match="cannot go on"):
        walk.accept_check_failure("power_ok")
    walk.end_visit("power_ok")  # confirmed at the prompt, or `end_visit: true` in a file
    assert walk.done
    assert {notice.step.id for notice in walk.take_notices()} == {"photo", "done"}
    record = walk.finish()
    assert record.outcome is Outcome.NOT_COMPLETED and record.failed_steps == ["power_ok"]
    assert record.answer_for("done").skip_reason == "the failed check power_ok ends the visit"  # type: ignore[union-attr]


def test_notes_and_attachments_are_saved_on_the_current_step(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, small_checklist(tmp_path), fields(), ping=ScriptedPing(), lang="en")
    photo = tmp_path / "rack.jpg"
    photo.write_bytes(b"\xff\xd8 not really a jpeg")
    walk.note("room_temperature", "air conditioning was off")
    attachment = walk.attach("room_temperature", photo)
    saved = store.load(walk.record.visit_id).answer_for("room_temperature")
    assert saved is not None and saved.notes[0].text == "air conditioning was off"
    assert saved.attachments == [attachment]
    assert (store.visit_dir(walk.record.visit_id) / attachment.stored_path).read_bytes() == (
        photo.read_bytes()
    )
    assert current_id(walk) == "room_temperature"  # a note is not an answer
    walk.answer("room_temperature", 20)
    kept = walk.record.answer_for("room_temperature")
    assert kept is not None and kept.notes and kept.attachments  # the answer keeps them


def test_an_attachment_step_copies_the_file_into_the_visit(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, small_checklist(tmp_path), fields(), ping=ScriptedPing(), lang="en")
    walk.answer("room_temperature", 20)
    walk.answer("comments", "ok")
    walk.answer("power_ok", True)
    with pytest.raises(AnswerError):
        walk.answer("photo", str(tmp_path / "missing.jpg"))
    (tmp_path / "site.png").write_bytes(b"png")
    walk.answer("photo", str(tmp_path / "site.png"))
    photo = walk.record.answer_for("photo")
    assert photo is not None and photo.attachments[0].name == "site.png"


def test_a_failed_ping_keeps_every_attempt_until_it_passes(tmp_path: Path) -> None:
    ping = ScriptedPing(["timeout", "timeout", "ok"])
    _, walk = start_lan(tmp_path, ping)
    answer_until(walk, "laptop_link", LAN_ANSWERS)
    for _ in range(2):
        result = walk.run_ping("ping_gateway")
        assert result.verdict.value == "timeout"
        assert current_id(walk) == "ping_gateway"
    walk.run_ping("ping_gateway")
    assert current_id(walk) == "customer_device"
    entry = walk.record.answer_for("ping_gateway")
    assert entry is not None and entry.passed is True
    assert [attempt["verdict"] for attempt in entry.ping_attempts] == ["timeout", "timeout", "ok"]


def test_a_ping_failure_accepted_fails_the_visit_with_the_verdict(tmp_path: Path) -> None:
    _, walk = start_lan(tmp_path, ScriptedPing(["timeout"]))
    answer_until(walk, "laptop_link", LAN_ANSWERS)
    with pytest.raises(WalkRefused):
        walk.accept_ping_failure("ping_gateway")  # nothing tried yet
    walk.run_ping("ping_gateway")
    walk.accept_ping_failure("ping_gateway")
    walk.answer("customer_device", True)
    record = walk.finish()
    assert record.outcome is Outcome.FAILED and record.failed_steps == ["ping_gateway"]
    entry = record.answer_for("ping_gateway")
    assert entry is not None and entry.value == "timeout"
    assert entry.ping_attempts[0]["explanation"]["next_checks"]


def test_finish_before_the_last_step_is_refused(tmp_path: Path) -> None:
    _, walk = start_lan(tmp_path)
    with pytest.raises(WalkRefused):
        walk.finish()


def test_resume_continues_after_the_last_confirmed_answer(tmp_path: Path) -> None:
    store, walk = start_lan(tmp_path)
    answer_until(walk, "pigtail_connector", {**LAN_ANSWERS, "pigtail_connector": "SC"})
    walk.note("converter_power", "rack was full")
    visit_id = walk.record.visit_id
    walk.close()

    resumed = resume_walk(store, visit_id, ping=ScriptedPing(), lang="en")
    assert current_id(resumed) == "converter_power"
    assert resumed.given_answers()["pigtail_connector"] == "SC"
    resumed.answer("converter_power", "done")
    assert resumed.record.answer_for("converter_power").notes[0].text == "rack was full"  # type: ignore[union-attr]
    assert current_id(resumed) == "pigtail_into_converter"


def test_a_completed_visit_cannot_be_resumed(tmp_path: Path) -> None:
    store, walk = start_lan(tmp_path)
    answer_until(walk, "customer_device", LAN_ANSWERS)
    walk.finish()
    walk.close()
    with pytest.raises(Exception, match="completed"):
        resume_walk(store, walk.record.visit_id, ping=ScriptedPing(), lang="en")


def test_the_record_names_the_checklist_by_the_hash_of_its_file(tmp_path: Path) -> None:
    import hashlib

    from fieldkit.checklist.load import load_checklist
    from fieldkit.paths import builtin_checklists_dir

    with_bom = tmp_path / "lan-turnup.yaml"
    raw = b"\xef\xbb\xbf" + (builtin_checklists_dir() / "lan-turnup.yaml").read_bytes()
    with_bom.write_bytes(raw)
    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, load_checklist(with_bom), fields(), ping=ScriptedPing(), lang="en")
    walk.close()
    record = store.load(walk.record.visit_id)
    assert record.checklist.sha256 == hashlib.sha256(raw).hexdigest()


def test_a_packing_list_failure_names_the_tools_not_ids(tmp_path: Path) -> None:
    from fieldkit.checklist.load import load_checklist

    text = """\
schema: 1
id: packing
version: "1"
kind: tools
title: Packing
description: Packing
tools:
  - {id: power_meter, name: {zh: 光功率计, en: optical power meter}}
  - {id: laptop, name: {zh: 笔记本电脑, en: laptop}}
steps:
  - {id: packed, type: tools, title: Packed}
"""
    path = tmp_path / "packing.yaml"
    path.write_text(text, encoding="utf-8")

    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, load_checklist(path), fields(), ping=ScriptedPing(), lang="en")
    judgement = walk.answer("packed", ["power_meter"])
    walk.close()
    assert judgement.reason is not None
    assert "optical power meter" in judgement.reason.en
    assert "power_meter" not in judgement.reason.en


ROOM_ANSWERS: dict[str, object] = {
    "room_temperature": 24,
    "room_humidity": 50,
    "mains_power": True,
    "ups_status": True,
    "ups_battery": False,  # swollen: what the inspection is there to find
    "ups_backup_minutes": 30,
    "grounding": True,
    "air_conditioning": True,
    "dust_cleanliness": False,
    "fire_safety": True,
    "extinguisher_checked_on": "2024-04-01",
    "equipment_lights": True,
    "equipment_alarms": True,
    "cabling_labels": True,
    "room_photo": {"skip": "no camera"},
    "problems_found": [{"problem": "UPS 电池鼓包", "owner": "张三", "due": "2024-06-01"}],
    "inspection_cycle": "quarterly",
    "next_inspection_due": "2024-08-01",
    "customer_signature": "陈经理",
}


def test_an_inspection_that_finds_a_swollen_battery_is_completed_with_findings(
    tmp_path: Path,
) -> None:
    from fieldkit.checklist.registry import open_checklist

    store = RecordStore(tmp_path / "records")
    walk = start_walk(
        store, open_checklist("room-inspection"), fields(), ping=ScriptedPing(), lang="en"
    )
    while (position := walk.current()) is not None:
        answer = ROOM_ANSWERS[position.step.id]
        if isinstance(answer, dict):
            walk.skip(position.step.id, answer["skip"])
        else:
            walk.answer(position.step.id, answer)
        if walk.failed_check() is not None:
            walk.accept_check_failure(position.step.id)
    record = walk.finish()
    assert record.outcome is Outcome.COMPLETED and record.outcome.achieved
    assert record.failed_steps == [] and record.findings == ["ups_battery", "dust_cleanliness"]


DECIDES_YAML = """\
schema: 1
id: {id}
version: "1.0"
kind: {kind}
title: {{zh: 测试, en: Test}}
description: {{zh: 测试, en: Test}}
steps:
  - {{id: light, type: check, title: Light{light}}}
  - {{id: power, type: record, input: decimal, title: Power, expect: {{min: -27, max: -8}}}}
  - {{id: fixed, type: check, title: Fixed{fixed}}}
"""


def _walk_decides(
    tmp_path: Path, kind: str, answers: dict[str, object], light: str = "", fixed: str = ""
) -> Walkthrough:
    from fieldkit.checklist.load import load_checklist

    path = tmp_path / f"{kind}.yaml"
    path.write_text(DECIDES_YAML.format(id=kind, kind=kind, light=light, fixed=fixed), "utf-8")
    walk = start_walk(
        RecordStore(tmp_path / "records"), load_checklist(path), fields(),
        ping=ScriptedPing(), lang="en",
    )  # fmt: skip
    for step_id in ("light", "power", "fixed"):
        walk.answer(step_id, answers[step_id])
        if walk.failed_check() is not None:
            walk.accept_check_failure(step_id)
    return walk


@pytest.mark.parametrize(
    ("kind", "light", "fixed", "answers", "outcome", "failed", "findings"),
    [
        # A turn-up: every step that can fail decides, unless marked `decides: false`.
        ("turnup", "", "", {"light": "n", "power": -20, "fixed": "y"},
         Outcome.FAILED, ["light"], []),
        ("turnup", ", decides: false", "", {"light": "n", "power": -20, "fixed": "y"},
         Outcome.PASSED, [], ["light"]),
        # A repair without `decides: true`: the last step that can fail says restored.
        ("repair", "", "", {"light": "n", "power": -35, "fixed": "y"},
         Outcome.RESTORED, [], ["light", "power"]),
        ("repair", "", "", {"light": "y", "power": -20, "fixed": "n"},
         Outcome.NOT_RESTORED, ["fixed"], []),
        # A repair whose checklist marks the step that shows restoration.
        ("repair", ", decides: true", "", {"light": "y", "power": -20, "fixed": "n"},
         Outcome.RESTORED, [], ["fixed"]),
        ("repair", ", decides: true", "", {"light": "n", "power": -20, "fixed": "y"},
         Outcome.NOT_RESTORED, ["light"], []),
        ("visit", "", "", {"light": "n", "power": -35, "fixed": "n"},
         Outcome.COMPLETED, [], ["light", "power", "fixed"]),
    ],
)
def test_the_outcome_follows_the_checklist_kind_and_its_decides_marks(
    tmp_path: Path,
    kind: str,
    light: str,
    fixed: str,
    answers: dict[str, object],
    outcome: Outcome,
    failed: list[str],
    findings: list[str],
) -> None:
    record = _walk_decides(tmp_path, kind, answers, light, fixed).finish()
    assert (record.outcome, record.failed_steps, record.findings) == (outcome, failed, findings)


def test_a_failed_check_checked_again_keeps_every_attempt_and_the_last_counts(
    tmp_path: Path,
) -> None:
    store, walk = _small_walk_failing_power(tmp_path)
    assert current_id(walk) == "power_ok"  # still open after the guidance
    walk.close()

    # Quit and resume: the failed check is where the visit stands, waiting for the choice.
    walk = resume_walk(store, walk.record.visit_id, ping=ScriptedPing(), lang="en")
    assert walk.failed_check() is not None and current_id(walk) == "power_ok"
    walk.answer("power_ok", "no")  # checked again after re-seating the plug: still off
    walk.answer("power_ok", "yes")  # and again after changing the fuse
    assert current_id(walk) == "photo"
    entry = walk.record.answer_for("power_ok")
    assert entry is not None and entry.passed is True and entry.answered_at is not None
    assert [attempt.value for attempt in entry.check_attempts] == [False, False, True]
    assert store.load(walk.record.visit_id).answer_for("power_ok") == entry  # on disk
    shown = render_markdown(walk.record, "en")
    for n, value in ((1, "no"), (2, "no"), (3, "yes")):
        assert f"Check {n} (" in shown and f"): {value}" in shown
    assert "第 3 次检查" in render_html(walk.record, "zh")


def test_a_failed_check_that_can_continue_is_recorded_as_failed_and_the_walk_goes_on(
    tmp_path: Path,
) -> None:
    from fieldkit.checklist.registry import open_checklist

    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, open_checklist("room-inspection"), fields(), ping=ScriptedPing(),
                      lang="en")  # fmt: skip
    for step_id in ("room_temperature", "room_humidity", "mains_power", "ups_status"):
        walk.answer(step_id, ROOM_ANSWERS[step_id])
    walk.answer("ups_battery", "no")
    with pytest.raises(WalkRefused, match="can go on"):
        walk.end_visit("ups_battery")  # only a check marked as ending the visit ends it
    walk.accept_check_failure("ups_battery")
    assert current_id(walk) == "ups_backup_minutes"
    entry = walk.record.answer_for("ups_battery")
    assert entry is not None and entry.passed is False and entry.answered_at is not None
    assert [attempt.value for attempt in entry.check_attempts] == [False]


TIMES_YAML = """\
schema: 1
id: times
version: "1.0"
kind: repair
title: {zh: 时间, en: Times}
description: {zh: 测试, en: Test}
steps:
  - {id: reported, type: record, input: datetime, title: Reported}
  - {id: dispatched, type: record, input: datetime, title: Dispatched, not_before: [reported]}
  - {id: restored, type: record, input: datetime, title: Restored, not_before: [reported]}
  - {id: confirmed, type: record, input: datetime, title: Confirmed, not_before: [restored]}
"""


def test_times_that_run_backwards_within_a_visit_are_refused_with_the_reason(
    tmp_path: Path,
) -> None:
    from fieldkit.checklist.load import load_checklist

    path = tmp_path / "times.yaml"
    path.write_text(TIMES_YAML, "utf-8")
    store = RecordStore(tmp_path / "records")
    walk = start_walk(store, load_checklist(path), fields(), ping=ScriptedPing(), lang="en")
    walk.answer("reported", "2024-05-12T10:00+08:00")
    with pytest.raises(WalkRefused, match=r"2024-05-12T09:50\+08:00 is before reported "
                       r"\(2024-05-12T10:00\+08:00\): times within a visit cannot run backwards"):
        walk.answer("dispatched", "2024-05-12T09:50+08:00")  # dispatched before reported
    walk.answer("dispatched", "2024-05-12T02:05Z")  # the same instant order, in UTC: 10:05
    with pytest.raises(WalkRefused, match="is before reported"):
        walk.answer("restored", "2024-05-12T09:00+08:00")  # restored before reported
    walk.answer("restored", "2024-05-12T11:00+08:00")
    with pytest.raises(WalkRefused, match="is before restored"):
        walk.answer("confirmed", "2024-05-12T10:59+08:00")  # confirmed before restored
    walk.answer("confirmed", "2024-05-12T11:00+08:00")  # at the same minute is fine
    record = walk.finish()
    assert [a.value for a in record.answers][-1] == "2024-05-12T11:00+08:00"


def test_changing_an_earlier_time_asks_again_the_times_that_must_follow_it(
    tmp_path: Path,
) -> None:
    from fieldkit.checklist.load import load_checklist

    path = tmp_path / "times.yaml"
    path.write_text(TIMES_YAML, "utf-8")
    walk = start_walk(RecordStore(tmp_path / "records"), load_checklist(path), fields(),
                      ping=ScriptedPing(), lang="en")  # fmt: skip
    walk.answer("reported", "2024-05-12T10:00+08:00")
    walk.answer("dispatched", "2024-05-12T10:05+08:00")
    while walk.back().step.id != "reported":
        pass
    walk.answer("reported", "2024-05-12T10:30+08:00")  # now after the dispatch time given
    dispatched = walk.record.answer_for("dispatched")
    assert dispatched is not None and dispatched.value is None and dispatched.superseded
    assert current_id(walk) == "dispatched"  # asked again; the old answer stays as history
    with pytest.raises(WalkRefused, match="is before reported"):
        walk.answer("dispatched", "2024-05-12T10:05+08:00")
