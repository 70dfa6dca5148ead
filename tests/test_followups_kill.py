"""SIGKILL a process that is closing follow-ups: each closure is whole (valid digest) or absent,
and `followups list` reads the folder with no note."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from followups_support import inspection, item
from test_report_helpers import TODAY, at, write

from fieldkit.followups.closures import CLOSURES_DIR, read_closure_file
from fieldkit.followups.service import list_followups

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL")

ITEMS = 400
# Closes the visit's items one after another from the first open one, printing each item's
# number once its close has returned. Long notes make each write take a while.
CHILD = textwrap.dedent(
    """
    import sys
    from datetime import date
    from pathlib import Path
    from fieldkit.followups.service import close_item, list_followups
    from fieldkit.records.store import RecordStore

    root = Path(sys.argv[1])
    store = RecordStore(root)
    open_items = list_followups([root], today=date(2024, 6, 1), which="open").items
    for entry in sorted(open_items, key=lambda e: e.number):
        close_item(store, entry.item_id, "已处理 " * 400)
        print(entry.number, flush=True)
    """
)


def test_a_kill_while_closing_leaves_whole_closures_or_none(tmp_path: Path) -> None:
    root = tmp_path / "records"
    record = inspection(at(6), [item(f"问题 {n}", "2024-05-10") for n in range(ITEMS)])
    write(root, record)
    confirmed: set[int] = set()
    for round_number in range(8):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        for _ in range(3 + round_number % 4):
            line = child.stdout.readline()
            assert line, "the closing process ended early"
            confirmed.add(int(line))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        confirmed.update(int(line) for line in child.stdout)  # printed before the kill
        child.stdout.close()

        listing = list_followups([root], today=TODAY)
        assert listing.sources.notes == [] and not listing.sources.counts
        closed = {entry.number for entry in listing.items if entry.status == "closed"}
        assert confirmed <= closed
        # At most the one being written when the kill came is closed without being confirmed.
        assert len(closed - confirmed) <= 1
        confirmed |= closed
        for path in (root / CLOSURES_DIR).iterdir():
            if path.name.endswith(".tmp"):
                assert path.name.startswith(".")  # a temp file no reader reads
            else:
                assert read_closure_file(path).digest_ok()
    assert len(confirmed) > 8
