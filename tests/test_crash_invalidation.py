"""SIGKILL a walk while it goes back and changes answers that later results used.

A child process walks the every-dependency checklist to its end, then keeps going back to change
the gateway, the mask, the connector or the received power (each change supersedes the ping or
`when`-gated results computed from the old value) and walks to the end again, printing a line
after each change returns (the change is then saved). It is killed at seeded random moments.
After each kill the record must load, hold every confirmed change (as the current answer or,
when a later change made it stale, as history), never show a stale result as current, and
resume to a completed visit. Pings are scripted: nothing is sent.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from binding_support import ANSWERS, assert_record_tells_the_truth, every_dependency
from walk_support import ScriptedPing

from fieldkit.records.models import VisitStatus
from fieldkit.records.store import RecordStore
from fieldkit.walk.visit import resume_walk

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX"),
]

TESTS = Path(__file__).resolve().parent
# Step -> the values it is changed to in turn (the first is already ANSWERS' value).
CHANGES: dict[str, list[object]] = {
    "gateway": ["192.0.2.2", "192.0.2.3"],
    "subnet_mask": ["/25", "/24"],
    "connector": ["SC", "FC"],
    "rx_power": [-10, -20],
}

CHILD = """
import json, sys
from pathlib import Path
from binding_support import ANSWERS, every_dependency
from records_factory import fields
from walk_support import ScriptedPing
from fieldkit.records.store import RecordStore
from fieldkit.walk.visit import start_walk

folder = Path(sys.argv[1])
changes = json.loads(sys.argv[2])
walk = start_walk(RecordStore(folder / "records"), every_dependency(folder), fields(),
                  ping=ScriptedPing(["ok"]), lang="en")

def to_end():
    while (position := walk.current()) is not None:
        if position.step.type == "ping":
            walk.run_ping(position.step.id)
        else:
            walk.answer(position.step.id, ANSWERS[position.step.id])

to_end()
print("READY", walk.record.visit_id, flush=True)
for n in range(10_000):
    step = list(changes)[n % len(changes)]
    value = changes[step][(n // len(changes)) % 2]
    while walk.back().step.id != step:
        pass
    walk.answer(step, value)
    print("CONFIRMED", step, json.dumps(value), flush=True)
    ANSWERS[step] = value
    to_end()
"""


def kill_moments() -> list[float]:
    seeded = random.Random(20261201)
    return [round(seeded.uniform(0.0, 0.8), 3) for _ in range(12)]


def canonical(value: object) -> object:
    """A change as the record stores it (a mask typed as /25 is kept as 255.255.255.128)."""
    return {"/25": "255.255.255.128", "/24": "255.255.255.0"}.get(value, value)  # type: ignore[call-overload]


@pytest.mark.parametrize("delay", kill_moments())
def test_a_kill_during_an_invalidation_loses_no_change_and_shows_nothing_stale(
    tmp_path: Path, delay: float
) -> None:
    path = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), json.dumps(CHANGES)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.endswith("\n"):  # a line the kill cut short was not printed whole
                lines.append(line.split())
            if line.startswith("READY"):
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(timeout=60), "the child never walked to the end"
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    reader.join(timeout=5)

    visit_id = lines[0][1]
    store = RecordStore(tmp_path / "records")
    record = store.load(visit_id)
    checklist = every_dependency(tmp_path).checklist
    assert_record_tells_the_truth(record, checklist)  # no stale result is current

    confirmed = [(words[1], json.loads(words[2])) for words in lines if words[0] == "CONFIRMED"]
    for step in CHANGES:
        mine = [value for name, value in confirmed if name == step]
        if not mine:
            continue
        turn = len(mine)
        upcoming = CHANGES[step][turn % 2]  # saved, maybe, before the kill could print it
        entry = record.answer_for(step)
        assert entry is not None
        held = [entry.value, *(old.value for old in entry.superseded[-1:])]
        assert {canonical(mine[-1]), canonical(upcoming)} & set(held), (step, mine[-1], held)

    resumed = resume_walk(store, visit_id, ping=ScriptedPing(["ok"]), lang="en")
    answers = dict(ANSWERS) | {
        step: record.answer_for(step).value or values[0]  # type: ignore[union-attr]
        for step, values in CHANGES.items()
    }
    while (position := resumed.current()) is not None:
        if position.step.type == "ping":
            resumed.run_ping(position.step.id)
        else:
            resumed.answer(position.step.id, answers[position.step.id])
    final = resumed.finish()
    resumed.close()
    assert final.status is VisitStatus.COMPLETED
    assert_record_tells_the_truth(final, checklist)
