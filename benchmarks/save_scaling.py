"""Benchmark: does the cost of one save grow with the size of the record?

Saves a visit one answer at a time through the real store (journal append + fsync), the way
the walk saves (the answers already stored passed back as they are), for
checklists of several sizes, and prints the mean time of a save and of the whole walk's
answers (from benchmarks/walkthrough.py, the walk machine included) per size. Linear work per
save shows as a mean that grows with the size; amortised saves as a flat mean.

    .venv/bin/python benchmarks/save_scaling.py [--sizes 500 1000 2000 4000] [--no-walk]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import walkthrough

from fieldkit.records.models import ChecklistSnapshot, StepAnswer, VisitFields
from fieldkit.records.store import RecordStore
from fieldkit.text import Text

CHINA = timezone(timedelta(hours=8))


def store_saves(size: int, root: Path) -> list[float]:
    """Seconds of each save of a visit growing by one answer per save."""
    text, _ = walkthrough.generate(size)
    snapshot = ChecklistSnapshot.from_source(
        text, id="bench-walk", version="1.0", kind="inspection",
        title=Text(zh="基准测试", en="Benchmark walk"),
    )  # fmt: skip
    started = datetime(2024, 5, 1, 9, 0, tzinfo=CHINA)
    store = RecordStore(root, clock=lambda: started)
    timings = []
    with store.create(VisitFields(engineer="李工", customer="基准客户"), snapshot) as handle:
        for number in range(size):
            answer = StepAnswer(
                step_id=f"s{number + 1:03d}", step_type="record", value=-12.5, unit="dBm",
                passed=True, answered_at=started + timedelta(seconds=number),
            )  # fmt: skip
            # As the walk saves: the stored answers kept as they are, the new one added.
            answers = [*handle.record.answers, answer]
            record = handle.record.model_copy(update={"answers": answers})
            begun = time.perf_counter()
            handle.save(record, answers_replaced=True)
            timings.append(time.perf_counter() - begun)
    return timings


def walk_answers(size: int, root: Path) -> list[float]:
    text, answers = walkthrough.generate(size)
    (root / "c.yaml").write_text(text, encoding="utf-8")
    (root / "a.json").write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return [ms / 1000 for ms in walkthrough.in_process(root / "c.yaml", root / "a.json",
                                                      root / "records")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    parser.add_argument("--no-walk", action="store_true", help="only the store's saves")
    options = parser.parse_args()
    print("steps  save mean ms  save last-100 ms  walk answer mean ms  walk total s")
    for size in options.sizes:
        with tempfile.TemporaryDirectory(prefix="fieldkit-bench-") as folder:
            saves = store_saves(size, Path(folder) / "store")
            walk = [] if options.no_walk else walk_answers(size, Path(folder))
        walk_text = (
            f"{statistics.fmean(walk) * 1000:19.2f}  {sum(walk):12.1f}" if walk else ""
        )
        print(f"{size:5d}  {statistics.fmean(saves) * 1000:12.2f}  "
              f"{statistics.fmean(saves[-100:]) * 1000:16.2f}  {walk_text}")  # fmt: skip


if __name__ == "__main__":
    main()
