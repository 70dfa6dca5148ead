"""Time to verdict, per verdict: `fieldkit ping TARGET` against `ping -c 4 -W 2 TARGET`, and
`fieldkit ping --quick TARGET` against iputils with the same plan, `ping -c 4 -i 0.2 -W 1`.

Builds the namespace lab of tests/netlab.py (root, Linux, iproute2, iputils ping), then for
each verdict runs the commands inside the lab's laptop namespace against the same host,
alternating, and prints the median wall time of each and the ratios. Targets: every default
ratio <= 1.1; --quick's verdict in <= 1.0 s when the gateway answers (ok) and <= 2.0 s when it
does not (timeout). Every command goes through `ip netns exec`, so its cost is on all sides.
Only lab addresses (198.18.0.0/15, inside the lab's namespaces) are pinged.

    .venv/bin/python benchmarks/ping_verdict.py [--runs 3] [--quick-only]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import netlab  # the lab lives with the tests

CASES = [  # verdict, target, namespace role
    ("ok", netlab.GATEWAY, "laptop"),
    ("slow", netlab.SLOW, "laptop"),
    ("partial_loss", netlab.FLAKY, "laptop"),
    ("timeout", netlab.SILENT, "laptop"),
    ("local_unreachable", netlab.NOBODY, "laptop"),
    ("remote_unreachable", netlab.REMOTE_GATEWAY, "laptop"),
    ("no_route", netlab.GATEWAY, "noroute"),
]


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    return time.perf_counter() - started, done


QUICK_TARGETS = {"ok": 1.0, "timeout": 2.0}  # seconds to a --quick verdict


def median_seconds(command: list[str], runs: int) -> tuple[float, float | None, set[str]]:
    """The median wall time of `command`, the median time its JSON says the test itself
    took (from the pre-flight to the verdict: the process's start-up and exit left out),
    and the verdicts it printed."""
    times, engine, said = [], [], set()
    for _ in range(runs):
        seconds, done = timed(command)
        times.append(seconds)
        if done.stdout.startswith("{"):
            data = json.loads(done.stdout)
            said.add(data["verdict"])
            started, finished = (datetime.fromisoformat(data[key])
                                 for key in ("started", "finished"))
            engine.append((finished - started).total_seconds())
    return statistics.median(times), statistics.median(engine) if engine else None, said


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per command (median kept)")
    parser.add_argument("--quick-only", action="store_true", help="only the --quick table")
    args = parser.parse_args()
    if shutil.which("ping") is None:
        sys.exit("needs the system ping (iputils-ping) to compare against")
    try:
        lab = netlab.build_lab()
    except netlab.LabUnavailable as error:
        sys.exit(f"cannot build the lab: {error}")
    default_rows, quick_rows = [], []
    try:
        for verdict, target, role in CASES:
            namespace = lab.ns(role)
            fieldkit = lab.command(namespace, sys.executable, "-m", "fieldkit", "ping", target,
                                   "--json")
            if not args.quick_only:
                ours, _, said = median_seconds(fieldkit, args.runs)
                theirs, _, _ = median_seconds(
                    lab.command(namespace, "ping", "-c", "4", "-W", "2", target), args.runs)
                default_rows.append((verdict, target, ours, theirs, ",".join(sorted(said))))
            quick, engine, said = median_seconds([*fieldkit, "--quick"], args.runs)
            theirs, _, _ = median_seconds(
                lab.command(namespace, "ping", "-c", "4", "-i", "0.2", "-W", "1", target),
                args.runs)
            quick_rows.append((verdict, target, quick, engine, theirs, ",".join(sorted(said))))
    finally:
        lab.teardown()
    if default_rows:
        print("| verdict | target | fieldkit ping (s) | ping -c 4 -W 2 (s) | ratio | "
              "fieldkit said |")
        print("|---|---|---:|---:|---:|---|")
        for verdict, target, ours_s, theirs_s, said in default_rows:
            print(f"| {verdict} | {target} | {ours_s:.2f} | {theirs_s:.2f} | "
                  f"{ours_s / theirs_s:.2f} | {said} |")
        print()
    defaults = {row[0]: row[2] for row in default_rows}
    print("| verdict | target | fieldkit ping --quick (s) | of which the test (s) | "
          "ping -c 4 -i 0.2 -W 1 (s) | ratio | × fieldkit ping | target | fieldkit said |")
    print("|---|---|---:|---:|---:|---:|---:|---|---|")
    for verdict, target, quick_s, engine_s, theirs_s, said in quick_rows:
        against_default = f"{quick_s / defaults[verdict]:.2f}" if verdict in defaults else "–"
        goal = QUICK_TARGETS.get(verdict)
        met = "" if goal is None else f"≤ {goal:.1f} s {'met' if quick_s <= goal else 'MISSED'}"
        test_s = "–" if engine_s is None else f"{engine_s:.2f}"
        print(f"| {verdict} | {target} | {quick_s:.2f} | {test_s} | {theirs_s:.2f} | "
              f"{quick_s / theirs_s:.2f} | {against_default} | {met} | {said} |")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nmedian of {args.runs} runs each, {time.strftime('%Y-%m-%d')}, Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, load average at the end {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
