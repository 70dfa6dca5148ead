"""Benchmark: a generated 500-step checklist answered from a file into a fresh records folder.

Prints the whole `fieldkit run --answers` time (a real process, start-up included) and, from
an in-process walk of the same file, the latency of each answer from submitted to durable on
disk (parse, judge, save with fsync, next step), p50 and p99.
Targets (issue 4): p99 <= 15 ms, whole run <= 3 s.

    .venv/bin/python benchmarks/walkthrough.py [--steps 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

P99_TARGET_MS = 15.0
TOTAL_TARGET_S = 3.0


def generate(steps: int) -> tuple[str, dict[str, object]]:
    """A checklist of records, instructions and checks (no ping), and an answer for each."""
    lines = [
        "schema: 1",
        "id: bench-walk",
        'version: "1.0"',
        "kind: inspection",
        "title: {zh: 基准测试, en: Benchmark walk}",
        "description: {zh: 生成的检查单, en: a generated checklist}",
        "steps:",
    ]
    answers: dict[str, object] = {"customer": "基准客户", "engineer": "李工"}
    for number in range(1, steps + 1):
        step_id = f"s{number:03d}"
        lines += [f"  - id: {step_id}", f"    title: {{zh: 第 {number} 步, en: Step {number}}}"]
        kind = number % 5
        if kind == 0:
            lines += ["    type: instruction", "    lights: [{name: PW, state: 'on'}]"]
            answers[step_id] = True
        elif kind == 1:
            lines += ["    type: check", "    on_fail: {guidance: {zh: 重做, en: redo}}"]
            answers[step_id] = "yes"
        elif kind == 2:
            lines += ["    type: record", "    input: decimal", "    unit: dBm",
                      "    min: -50", "    max: 10", "    expect: {min: -25, max: -8}"]  # fmt: skip
            answers[step_id] = -12.5
        elif kind == 3:
            lines += ["    type: record", "    input: ipv4"]
            answers[step_id] = f"10.{number // 250}.{number % 250}.1"
        else:
            lines += ["    type: record", "    input: text", "    max_length: 200"]
            answers[step_id] = f"读数正常 reading {number}"
    return "\n".join(lines) + "\n", answers


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def in_process(checklist: Path, answers_path: Path, records: Path) -> list[float]:
    """Each answer's latency in ms, submitted to saved, walking the file in this process."""
    from fieldkit.checklist.load import load_checklist
    from fieldkit.records.models import VisitFields
    from fieldkit.records.store import RecordStore
    from fieldkit.walk.answers_file import load_answers_file
    from fieldkit.walk.visit import start_walk

    def no_ping(*args: object, **kwargs: object) -> object:
        raise AssertionError("the benchmark checklist has no ping step")

    answers = load_answers_file(answers_path)
    walk = start_walk(
        RecordStore(records),
        load_checklist(checklist),
        VisitFields(engineer="李工", customer="基准客户"),
        ping=no_ping,  # type: ignore[arg-type]
        lang="zh",
    )
    latencies = []
    while (position := walk.current()) is not None:
        started = time.perf_counter()
        walk.answer(position.step.id, answers.answers[position.step.id])
        latencies.append((time.perf_counter() - started) * 1000)
    walk.finish()
    walk.close()
    return latencies


def whole_run(checklist: Path, answers_path: Path, records: Path) -> float:
    """Seconds for `fieldkit run CHECKLIST --answers FILE` as a real process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "run", str(checklist), "--answers", str(answers_path),
         "--records", str(records)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
        env={**os.environ, "FIELDKIT_LANG": "en"},
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"fieldkit run failed ({done.returncode}): {done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3, help="whole runs; the best is reported")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-") as folder:
        root = Path(folder)
        text, answers = generate(options.steps)
        checklist = root / "bench-walk.yaml"
        checklist.write_text(text, encoding="utf-8")
        answers_path = root / "answers.json"
        answers_path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")

        latencies = in_process(checklist, answers_path, root / "records-in-process")
        totals = [
            whole_run(checklist, answers_path, root / f"records-{run}")
            for run in range(options.runs)
        ]

    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    best = min(totals)
    print(f"walkthrough benchmark: {options.steps} steps answered from a file")
    print(f"  answer -> saved (fsync) latency: p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"max {max(latencies):.2f} ms, mean {statistics.fmean(latencies):.2f} ms "
          f"(target p99 <= {P99_TARGET_MS:g} ms)")  # fmt: skip
    print(
        f"  whole `fieldkit run --answers`: best {best:.2f} s of {options.runs} "
        f"({', '.join(f'{total:.2f}' for total in totals)}) (target <= {TOTAL_TARGET_S:g} s)"
    )
    ok = p99 <= P99_TARGET_MS and best <= TOTAL_TARGET_S
    print("  targets met" if ok else "  TARGETS MISSED")


if __name__ == "__main__":
    main()
