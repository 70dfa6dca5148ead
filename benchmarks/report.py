"""Time `fieldkit report` on 10,000 and 100,000 synthetic records and measure peak memory.

    .venv/bin/python benchmarks/report.py [--work DIR] [--skip-100k]

Record sets are written by benchmarks/make_records.py into --work (default: a folder under
the system temp dir, kept between runs so that they are made once). Each command runs as
its own process, exactly as a supervisor would run it; wall time and that process's peak
resident memory (Linux: wait4's ru_maxrss) are printed as a Markdown table with the targets.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# (records, what, export format or None for summary, target seconds, target peak MB or None)
RUNS = [
    (10_000, "summary", None, 3.0, None),
    (10_000, "export csv", "csv", 3.0, None),
    (10_000, "export xlsx", "xlsx", 8.0, None),
    (10_000, "export html", "html", 3.0, None),
    (100_000, "export csv", "csv", 30.0, 300.0),
]


def ensure_records(count: int, work: Path) -> Path:
    folder = work / f"records-{count}"
    done = folder / ".complete"
    if not done.exists():
        subprocess.run(
            [sys.executable, str(HERE / "make_records.py"), str(count), str(folder),
             "--seed", str(count)],
            check=True,
        )
        done.touch()
    return folder


def timed(command: list[str], log: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB, and the exit code of one child process (stderr to `log`)."""
    with log.open("wb") as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
    return elapsed, usage.ru_maxrss / 1024, process.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "fieldkit-bench")
    parser.add_argument("--skip-100k", action="store_true")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    fieldkit = [sys.executable, "-m", "fieldkit", "report"]
    rows = []
    for count, what, fmt, target_s, target_mb in RUNS:
        if count == 100_000 and args.skip_100k:
            continue
        records = ensure_records(count, args.work)
        if fmt is None:
            command = [*fieldkit, "summary", str(records), "--json"]
        else:
            output = args.work / f"report-{count}.{fmt}"
            command = [*fieldkit, "export", str(records), "--format", fmt, "-o", str(output)]
        log = args.work / "last-stderr.txt"
        seconds, peak_mb, code = timed(command, log)
        if code != 0:
            sys.stderr.write(f"{' '.join(command)} exited {code}; see {log}\n")
            return 1
        ok = seconds <= target_s and (target_mb is None or peak_mb <= target_mb)
        target = f"≤ {target_s:g} s" + (f", ≤ {target_mb:g} MB" if target_mb else "")
        rows.append(f"| {count:,} | {what} | {seconds:.2f} | {peak_mb:.0f} | {target} | "
                    f"{'yes' if ok else 'NO'} |")
        sys.stderr.write(rows[-1] + "\n")
    print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}")
    print("| records | command | seconds | peak MB | target | met |")
    print("|---:|---|---:|---:|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
