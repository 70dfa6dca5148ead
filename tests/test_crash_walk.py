"""SIGKILL `fieldkit run` at 24 different points of a walkthrough; nothing confirmed is lost.

A walk from an answers file prints one line per step after that step's save returned, so a
printed line is a confirmed answer. Kills land right after a given step's line (the next save
is then under way), during the ping step, and at seeded random moments. After each kill the
record must load, hold every confirmed answer, and `fieldkit resume` must show each of them and
finish the visit without asking any of them again. Pings go to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fieldkit.records.models import Outcome, VisitRecord, VisitStatus
from fieldkit.records.store import RecordStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX"),
]

STEPS = 20
PING_STEP = 10
_LINE = re.compile(r"^\[(\d+)/(\d+)\] (Step \d\d): (.*) ✓$")


def checklist_yaml() -> str:
    lines = [
        "schema: 1",
        "id: crash-walk",
        'version: "1.0"',
        "kind: inspection",
        "title: {zh: 崩溃测试, en: Crash walk}",
        "description: {zh: 测试用, en: for tests}",
        "steps:",
    ]
    for number in range(1, STEPS + 1):
        title = f"Step {number:02d}"
        lines.append(f"  - id: s{number:02d}")
        lines.append(f"    title: {{zh: {title}, en: {title}}}")
        if number == PING_STEP:
            lines += ["    type: ping", "    target: s01", "    count: 3", "    interval_s: 0.3"]
        elif number == 1:
            lines += ["    type: record", "    input: ipv4"]
        elif number % 3 == 0:
            lines += ["    type: record", "    input: integer", "    unit: dBm", "    min: -50"]
        elif number % 3 == 1:
            lines += ["    type: record", "    input: text"]
        else:
            lines += ["    type: instruction"]
    return "\n".join(lines) + "\n"


def expected_answers() -> dict[str, object]:
    answers: dict[str, object] = {"customer": "深圳某银行", "engineer": "李工", "s01": "127.0.0.1"}
    for number in range(2, STEPS + 1):
        if number == PING_STEP:
            continue
        step_id = f"s{number:02d}"
        if number % 3 == 0:
            answers[step_id] = -number
        elif number % 3 == 1:
            answers[step_id] = f"reading {number} 读数"
        else:
            answers[step_id] = True
    return answers


@dataclass
class Run:
    """One `fieldkit` process whose stdout lines are collected as they come."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    trigger: threading.Event = field(default_factory=threading.Event)

    def confirmed(self) -> dict[str, str]:
        """Step id -> the value the process printed after saving it."""
        found = {}
        for line in self.lines:
            match = _LINE.match(line)
            if match:
                found[f"s{int(match.group(1)):02d}"] = match.group(4)
        return found


def start(env: dict[str, str], args: list[str], trigger: Callable[[str], bool]) -> Run:
    process = subprocess.Popen(
        [sys.executable, "-m", "fieldkit", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    run = Run(process)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            run.lines.append(line.rstrip("\n"))
            if trigger(line):
                run.trigger.set()
        run.trigger.set()

    threading.Thread(target=read, daemon=True).start()
    return run


def kill_points() -> list[tuple[str, Callable[[str], bool], float]]:
    """(name, the line after which to wait, then how long to wait before SIGKILL)."""
    points: list[tuple[str, Callable[[str], bool], float]] = []
    for step in (1, 2, 3, 4, 6, 8, 9, 11, 13, 15, 17, 19, 20):
        points.append((f"after step {step}", _after_step(step), 0.0))
    for delay in (0.0, 0.2, 0.45):
        points.append((f"{delay}s into the ping", lambda line: "pinging 127.0.0.1" in line, delay))
    points.append(("at the ping verdict", lambda line: "(ok)" in line, 0.0))
    # Answers from a file are saved within milliseconds of each other: random moments inside
    # that stretch land inside saves as often as between them.
    seeded = random.Random(20240512)
    for _ in range(4):
        step, delay = seeded.randint(2, STEPS - 1), round(seeded.uniform(0.0, 0.004), 4)
        points.append((f"{delay}s after step {step}", _after_step(step), delay))
    for _ in range(3):
        delay = round(seeded.uniform(0.0, 0.03), 3)
        points.append((f"{delay}s after the header", lambda line: "Crash walk" in line, delay))
    return points


def _after_step(step: int) -> Callable[[str], bool]:
    return lambda line: line.startswith(f"[{step}/{STEPS}] ")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("crash")
    checklist = folder / "crash-walk.yaml"
    checklist.write_text(checklist_yaml(), encoding="utf-8")
    answers = folder / "answers.json"
    answers.write_text(json.dumps(expected_answers(), ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "FIELDKIT_LANG": "en", "FIELDKIT_CONFIG": str(folder / "none.yaml")}
    return checklist, answers, env


def test_there_are_at_least_20_kill_points() -> None:
    assert len(kill_points()) >= 20


@pytest.mark.parametrize(
    ("name", "trigger", "delay"), kill_points(), ids=[point[0] for point in kill_points()]
)
def test_a_kill_loses_no_confirmed_answer_and_resume_shows_them_all(
    setup: tuple[Path, Path, dict[str, str]],
    tmp_path: Path,
    name: str,
    trigger: Callable[[str], bool],
    delay: float,
) -> None:
    checklist, answers_path, env = setup
    records = tmp_path / "records"
    run = start(
        env,
        ["run", str(checklist), "--answers", str(answers_path), "--records", str(records)],
        trigger,
    )
    assert run.trigger.wait(timeout=30), f"{name}: the trigger line never came"
    time.sleep(delay)
    run.process.send_signal(signal.SIGKILL)
    run.process.wait(timeout=10)
    time.sleep(0.05)  # let the reader take the last lines
    confirmed = run.confirmed()

    store = RecordStore(records)
    found = list(store.iter_records())  # raises if any record is broken
    if not found:
        assert not confirmed, f"{name}: answers were confirmed but no record exists"
        return
    [record] = found
    expected = expected_answers()
    for step_id in confirmed:
        kept = record.answer_for(step_id)
        assert kept is not None and kept.answered_at is not None, f"{name}: {step_id} lost"
        if step_id != f"s{PING_STEP:02d}":
            assert kept.value == expected[step_id], f"{name}: {step_id} changed"
    if record.status is VisitStatus.COMPLETED:
        return

    resumed = subprocess.run(
        [sys.executable, "-m", "fieldkit", "resume", record.visit_id, "--answers",
         str(answers_path), "--records", str(records)],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert resumed.returncode == 0, f"{name}: resume failed: {resumed.stderr}"
    for step_id, value in confirmed.items():
        number = int(step_id[1:])
        assert f"[{number}/{STEPS}] Step {number:02d}: {value} ✓" in resumed.stdout, (
            f"{name}: resume does not show {step_id}"
        )
    final = store.load(record.visit_id)
    assert final.outcome is Outcome.COMPLETED  # an inspection
    assert_not_asked_again(record, final, confirmed)


def assert_not_asked_again(
    before: VisitRecord, after: VisitRecord, confirmed: dict[str, str]
) -> None:
    for step_id in confirmed:
        first, last = before.answer_for(step_id), after.answer_for(step_id)
        assert first is not None and last is not None
        assert first.answered_at == last.answered_at, f"{step_id} was asked again"
