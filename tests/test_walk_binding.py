"""A result is bound to what it was computed from: change an answer a later step used, and that
step's result stops counting (kept as history) and must be done again before the visit ends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from binding_support import ANSWERS, NOW_HIDDEN, STILL_SHOWN, every_dependency
from records_factory import fields
from walk_support import ScriptedPing

from fieldkit import yamlsafe
from fieldkit.records.models import VisitRecord
from fieldkit.records.render import detail_lines
from fieldkit.records.store import RecordStore
from fieldkit.records.view import visit_view
from fieldkit.walk.answers_file import AnswersFile, walk_from_file
from fieldkit.walk.machine import RedoNotice, SkipNotice, WalkRefused, Walkthrough
from fieldkit.walk.visit import resume_walk, start_walk


def start(tmp_path: Path, ping: ScriptedPing | None = None) -> tuple[RecordStore, Walkthrough]:
    store = RecordStore(tmp_path / "records")
    walk = start_walk(
        store, every_dependency(tmp_path), fields(), ping=ping or ScriptedPing(), lang="en"
    )
    return store, walk


def walk_to_end(walk: Walkthrough, answers: dict[str, object]) -> None:
    while (position := walk.current()) is not None:
        if walk.failed_check() is not None:  # `f` at the prompt: recorded as failed, go on
            walk.accept_check_failure(position.step.id)
        elif position.step.type == "ping":
            walk.run_ping(position.step.id)
        else:
            walk.answer(position.step.id, answers[position.step.id])


def back_to(walk: Walkthrough, step_id: str) -> None:
    while True:
        position = walk.back()
        if position.step.id == step_id:
            return


def current_id(walk: Walkthrough) -> str | None:
    position = walk.current()
    return None if position is None else position.step.id


def stale_results(record: VisitRecord) -> list[str]:
    """Steps whose current result was computed from other answers than the record now holds."""
    values = {a.step_id: a.value for a in record.answers if not a.skipped and a.value is not None}
    values.update(
        {a.step_id: None for a in record.answers if a.answered_at is None and not a.skipped}
    )
    stale = []
    for entry in record.answers:
        if entry.inputs is None:
            continue
        settled = entry.answered_at is not None or entry.ping_attempts
        if settled and any(values.get(name) != value for name, value in entry.inputs.items()):
            stale.append(entry.step_id)
    return stale


def test_changing_the_gateway_after_an_ok_ping_asks_for_the_ping_again(tmp_path: Path) -> None:
    ping = ScriptedPing(["ok"])
    store, walk = start(tmp_path, ping)
    walk_to_end(walk, ANSWERS)
    assert walk.done

    back_to(walk, "gateway")
    walk.answer("gateway", "192.0.2.2")

    assert current_id(walk) == "ping_gateway"  # not the end of the walk
    with pytest.raises(WalkRefused):
        walk.finish()
    on_disk = store.load(walk.record.visit_id)
    entry = on_disk.answer_for("ping_gateway")
    assert entry is not None
    assert (entry.value, entry.passed, entry.answered_at, entry.ping_attempts) == (
        None, None, None, []
    )
    [old] = entry.superseded
    assert old.value == "ok" and old.passed is True
    assert old.inputs == {
        "gateway": "192.0.2.1", "subnet_mask": "255.255.255.0", "customer_ip": "192.0.2.10"
    }
    assert old.ping_attempts[0]["target"] == "192.0.2.1"
    assert old.reason == "gateway changed: 192.0.2.1 → 192.0.2.2"
    notices = walk.take_notices()
    assert any(isinstance(n, RedoNotice) and n.step.id == "ping_gateway" for n in notices)

    walk.run_ping("ping_gateway")
    assert ping.calls[-1]["target"] == "192.0.2.2"
    assert walk.done
    record = walk.finish()
    walk.close()
    final = record.answer_for("ping_gateway")
    assert final is not None and final.passed is True
    assert final.inputs == {
        "gateway": "192.0.2.2", "subnet_mask": "255.255.255.0", "customer_ip": "192.0.2.10"
    }
    assert len(final.superseded) == 1
    assert stale_results(record) == []
    view = visit_view(record, "en")
    shown = "\n".join(line for step in view.steps for _, line in detail_lines(view, step))
    assert "No longer counts" in shown and "gateway changed: 192.0.2.1 → 192.0.2.2" in shown
    assert "computed from gateway = 192.0.2.1, subnet_mask = 255.255.255.0, customer_ip" in shown


def test_the_same_answer_again_keeps_every_later_result(tmp_path: Path) -> None:
    _store, walk = start(tmp_path)
    walk_to_end(walk, ANSWERS)
    before = walk.record.answers
    back_to(walk, "connector")
    walk.answer("connector", "FC")
    assert walk.done
    assert [a.superseded for a in walk.record.answers] == [a.superseded for a in before]
    walk.close()


@pytest.mark.parametrize(("earlier", "new", "later"), STILL_SHOWN)
def test_a_later_result_is_done_again_when_an_answer_it_used_changes(
    tmp_path: Path, earlier: str, new: object, later: str
) -> None:
    store, walk = start(tmp_path)
    walk_to_end(walk, ANSWERS)
    old_value = walk.record.answer_for(later).value  # type: ignore[union-attr]

    back_to(walk, earlier)
    walk.answer(earlier, new)

    entry = store.load(walk.record.visit_id).answer_for(later)
    assert entry is not None and entry.answered_at is None and entry.value is None
    assert entry.superseded[-1].value == old_value
    assert entry.superseded[-1].inputs is not None and earlier in entry.superseded[-1].inputs
    assert earlier in entry.superseded[-1].reason
    # The walk goes to the first step to redo, and does not end before it is done.
    assert current_id(walk) is not None
    walk_to_end(walk, ANSWERS)
    record = walk.finish()
    walk.close()
    redone = record.answer_for(later)
    assert redone is not None and redone.answered_at is not None
    assert redone.inputs is not None and redone.inputs[earlier] == record.answer_for(earlier).value  # type: ignore[union-attr]
    assert stale_results(record) == []


@pytest.mark.parametrize(("earlier", "new", "later"), NOW_HIDDEN)
def test_a_result_hidden_by_a_changed_answer_is_announced_as_skipped_only(
    tmp_path: Path, earlier: str, new: object, later: str
) -> None:
    """Not "must be done again" and then "skipped": a step hidden at once is not to be done."""
    _store, walk = start(tmp_path)
    walk_to_end(walk, ANSWERS)
    back_to(walk, earlier)
    walk.take_notices()
    walk.answer(earlier, new)
    about_later = [type(n) for n in walk.take_notices() if n.step.id == later]
    # Hidden now, or decided once the steps before it are done (a failed check waits for
    # r/f/q, a step the new answer shows is asked): either way one notice, never both.
    assert about_later in ([SkipNotice], [RedoNotice])
    if (earlier, new) == ("connector", "SC"):  # nothing before it is left open
        assert about_later == [SkipNotice]
    walk.close()


@pytest.mark.parametrize(("earlier", "new", "later"), NOW_HIDDEN)
def test_a_result_hidden_by_a_changed_answer_stays_as_history(
    tmp_path: Path, earlier: str, new: object, later: str
) -> None:
    store, walk = start(tmp_path)
    walk_to_end(walk, ANSWERS)
    old_value = walk.record.answer_for(later).value  # type: ignore[union-attr]

    back_to(walk, earlier)
    walk.answer(earlier, new)
    walk_to_end(walk, ANSWERS)

    entry = store.load(walk.record.visit_id).answer_for(later)
    assert entry is not None and entry.skipped and entry.value is None
    assert [old.value for old in entry.superseded] == [old_value]
    walk.close()


def test_a_stale_result_on_disk_is_asked_again_on_resume(tmp_path: Path) -> None:
    """A record whose gateway changed under an ok ping (as an older fieldkit left it)."""
    store, walk = start(tmp_path)
    walk_to_end(walk, ANSWERS)
    visit_id = walk.record.visit_id
    walk.close()
    path = store.visit_dir(visit_id) / "visit.json"
    data = store.load(visit_id).model_dump(mode="json")
    for entry in data["answers"]:
        if entry["step_id"] == "gateway":
            entry["value"] = "192.0.2.3"
        if entry["step_id"] == "ping_gateway":
            del entry["inputs"]  # older records did not bind; the attempts name their target
    path.write_text(json.dumps(data), encoding="utf-8")
    (store.visit_dir(visit_id) / "visit.journal").unlink(missing_ok=True)

    resumed = resume_walk(store, visit_id, ping=ScriptedPing(), lang="en")
    assert current_id(resumed) == "ping_gateway"
    entry = store.load(visit_id).answer_for("ping_gateway")
    assert entry is not None and entry.passed is None and entry.superseded[0].value == "ok"
    resumed.close()


def test_an_answers_file_walk_redoes_a_step_left_stale(tmp_path: Path) -> None:
    ping = ScriptedPing(["ok"])
    store, walk = start(tmp_path, ping)
    walk_to_end(walk, ANSWERS)
    back_to(walk, "subnet_mask")
    walk.answer("subnet_mask", "/25")
    visit_id = walk.record.visit_id
    walk.close()  # quit: the ping is to be done again

    resumed = resume_walk(store, visit_id, ping=ping, lang="en")
    loaded = yamlsafe.parse_yaml(json.dumps(ANSWERS), "answers.json", as_json=True)
    walk_from_file(resumed, AnswersFile(loaded, answers=dict(ANSWERS)))
    record = resumed.finish()
    resumed.close()
    assert ping.calls[-1]["mask"] == "255.255.255.128"
    entry = record.answer_for("ping_gateway")
    assert entry is not None and entry.passed is True
    assert entry.inputs == {
        "gateway": "192.0.2.1", "subnet_mask": "255.255.255.128", "customer_ip": "192.0.2.10"
    }


def test_failed_ping_attempts_of_the_old_target_cannot_be_accepted_for_the_new(
    tmp_path: Path,
) -> None:
    _store, walk = start(tmp_path, ScriptedPing(["timeout"]))
    while (position := walk.current()) is not None and position.step.type != "ping":
        walk.answer(position.step.id, ANSWERS[position.step.id])
    walk.run_ping("ping_gateway")  # a failed attempt, not accepted yet
    back_to(walk, "gateway")
    walk.answer("gateway", "192.0.2.9")
    assert current_id(walk) == "ping_gateway"
    with pytest.raises(WalkRefused):
        walk.accept_ping_failure("ping_gateway")
    entry = walk.record.answer_for("ping_gateway")
    assert entry is not None and entry.superseded[0].ping_attempts[0]["target"] == "192.0.2.1"
    walk.close()


def test_a_ping_that_passed_cannot_be_recorded_as_failed_after_going_back(
    tmp_path: Path,
) -> None:
    _store, walk = start(tmp_path, ScriptedPing(["ok"]))
    walk_to_end(walk, ANSWERS)
    back_to(walk, "ping_gateway")
    with pytest.raises(WalkRefused, match="the last ping passed"):
        walk.accept_ping_failure("ping_gateway")
    entry = walk.record.answer_for("ping_gateway")
    assert entry is not None and entry.passed is True
    walk.close()
