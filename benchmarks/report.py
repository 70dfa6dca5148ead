"""Time `fieldkit report` on 10,000 and 100,000 synthetic records and measure peak memory.

    .venv/bin/python benchmarks/report.py [--work DIR] [--skip-100k] [--only COMMAND]

`--only "export xlsx"` (repeatable) runs just those commands; `--skip-100k` leaves out the
100,000-record run.

Record sets are written by benchmarks/make_records.py into --work (default: a folder under
the system temp dir, kept between runs so that they are made once). Each command runs as
its own process, exactly as a supervisor would run it; its wall time, the CPU time of it and
its worker processes, and the peak resident memory of all of them together (Linux: sampled
from /proc every 20 ms) are printed as a Markdown table with the targets, with the load
average before and after (other work on the machine slows the figures down).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
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


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (0 where /proc is absent)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue  # the process ended meanwhile
    return total / 2**20


def timed(command: list[str], log: Path) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (the process and its workers), peak MB of the whole process
    tree, and the exit code of one child process (stderr to `log`)."""
    with log.open("wb") as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        peak = [0.0]
        finished = threading.Event()

        def sample() -> None:
            while not finished.wait(0.02):
                peak[0] = max(peak[0], tree_rss_mb(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)  # Linux: includes its reaped workers
        elapsed = time.perf_counter() - started
        finished.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
    peak_mb = max(peak[0], usage.ru_maxrss / 1024)
    return elapsed, usage.ru_utime + usage.ru_stime, peak_mb, process.returncode


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "fieldkit-bench")
    parser.add_argument("--skip-100k", action="store_true")
    parser.add_argument("--only", action="append", choices=sorted({run[1] for run in RUNS}),
                        help="run only this command (repeatable)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    fieldkit = [sys.executable, "-m", "fieldkit", "report"]
    rows = []
    for count, what, fmt, target_s, target_mb in RUNS:
        if (count == 100_000 and args.skip_100k) or (args.only and what not in args.only):
            continue
        records = ensure_records(count, args.work)
        if fmt is None:
            command = [*fieldkit, "summary", str(records), "--json"]
        else:
            output = args.work / f"report-{count}.{fmt}"
            command = [*fieldkit, "export", str(records), "--format", fmt, "-o", str(output)]
        log = args.work / "last-stderr.txt"
        load_before = load_average()
        seconds, cpu_seconds, peak_mb, code = timed(command, log)
        if code != 0:
            sys.stderr.write(f"{' '.join(command)} exited {code}; see {log}\n")
            return 1
        ok = seconds <= target_s and (target_mb is None or peak_mb <= target_mb)
        target = f"≤ {target_s:g} s" + (f", ≤ {target_mb:g} MB" if target_mb else "")
        rows.append(f"| {count:,} | {what} | {seconds:.2f} | {cpu_seconds:.2f} | {peak_mb:.0f} | "
                    f"{target} | {'yes' if ok else 'NO'} | {load_before} → {load_average()} |")
        sys.stderr.write(rows[-1] + "\n")
    print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}")
    print("| records | command | seconds | CPU s | peak MB | target | met | load before → after |")
    print("|---:|---|---:|---:|---:|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
