"""SIGKILL a process that is saving answers: the record always loads with every confirmed answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fieldkit.records.store import RecordStore

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL")

# Opens (or creates) a visit, then saves one more answer per loop and prints how many answers
# are confirmed after each save returns. Every fifth save also adds a note to an old answer,
# so revisions go through the journal too.
CHILD = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    sys.path.insert(0, sys.argv[2])
    from records_factory import fields, snapshot
    from fieldkit.records.models import Note, StepAnswer
    from fieldkit.records.store import RecordStore

    store = RecordStore(sys.argv[1])
    ids = store.visit_ids()
    handle = store.open(ids[0]) if ids else store.create(fields(), snapshot())
    record = handle.record
    while True:
        now = datetime.now(timezone.utc)
        answers = list(record.answers)
        answers.append(StepAnswer(step_id=f"s{len(answers)}", step_type="record",
                                  value="x" * 300, answered_at=now))
        if len(answers) % 5 == 0:
            answers[0] = answers[0].model_copy(
                update={"notes": [*answers[0].notes, Note(text="n", at=now)]})
        record = handle.save(record.model_copy(update={"answers": answers}))
        print(len(record.answers), flush=True)
    """
)


def test_a_kill_at_any_moment_loses_no_confirmed_answer(tmp_path: Path) -> None:
    root = tmp_path / "records"
    tests_dir = str(Path(__file__).parent)
    confirmed = 0
    for round_number in range(8):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), tests_dir],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        # Let it confirm a few saves, then kill it wherever it is (inside a save, most likely).
        for _ in range(3 + round_number % 4):
            line = child.stdout.readline()
            assert line, "the saving process ended early"
            confirmed = int(line)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        # Answers printed after the last line we read may be on disk too: never fewer.
        for line in child.stdout:
            confirmed = int(line)
        child.stdout.close()
        store = RecordStore(root)
        (visit_id,) = store.visit_ids()
        record = store.load(visit_id)
        assert len(record.answers) >= confirmed
        assert [a.step_id for a in record.answers] == [f"s{i}" for i in range(len(record.answers))]
    assert confirmed > 8
