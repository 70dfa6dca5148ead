"""Time to verdict: `fieldkit ping TARGET` against `ping -c 4 -W 2 TARGET`, per verdict.

Builds the namespace lab of tests/netlab.py (root, Linux, iproute2, iputils ping), then for
each verdict runs both commands inside the lab's laptop namespace against the same host,
alternating, and prints the median wall time of each and their ratio. Target: every
ratio <= 1.1. Both commands go through `ip netns exec`, so its cost is on both sides.

    .venv/bin/python benchmarks/ping_verdict.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per command (median kept)")
    args = parser.parse_args()
    if shutil.which("ping") is None:
        sys.exit("needs the system ping (iputils-ping) to compare against")
    try:
        lab = netlab.build_lab()
    except netlab.LabUnavailable as error:
        sys.exit(f"cannot build the lab: {error}")
    rows = []
    try:
        for verdict, target, role in CASES:
            namespace = lab.ns(role)
            fieldkit_cmd = lab.command(namespace, sys.executable, "-m", "fieldkit", "ping",
                                       target, "--json")
            ping_cmd = lab.command(namespace, "ping", "-c", "4", "-W", "2", target)
            ours, theirs, seen = [], [], set()
            for _ in range(args.runs):
                seconds, done = timed(fieldkit_cmd)
                ours.append(seconds)
                seen.add(json.loads(done.stdout)["verdict"])
                theirs.append(timed(ping_cmd)[0])
            rows.append((verdict, target, statistics.median(ours), statistics.median(theirs),
                         ",".join(sorted(seen))))
    finally:
        lab.teardown()
    print("| verdict | target | fieldkit ping (s) | ping -c 4 -W 2 (s) | ratio | "
          "fieldkit said |")
    print("|---|---|---:|---:|---:|---|")
    for verdict, target, ours_s, theirs_s, said in rows:
        print(f"| {verdict} | {target} | {ours_s:.2f} | {theirs_s:.2f} | "
              f"{ours_s / theirs_s:.2f} | {said} |")
    print(f"\nmedian of {args.runs} runs each, {time.strftime('%Y-%m-%d')}, Python "
          f"{sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
