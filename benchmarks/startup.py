"""Start-up time of short fieldkit commands against the floor of any Typer program.

    .venv/bin/python benchmarks/startup.py [--runs 40]

Times, in one run and interleaved (so that machine load affects every command alike):
`fieldkit --version`, `fieldkit checklists list` (with a warm checklist index, as on every
call after the first) both piped and drawn on a terminal (a pseudo-terminal 100 columns wide, as
the engineer sees it), `python -c "import typer"` (the floor), and, for context, a one-command
Typer app with one option (what Typer itself costs to parse any command line). Prints the
median and the fastest run of each, and the ratios to the floor. Targets: --version <= 1.2x,
checklists list <= 2.0x. Uses the interpreter it runs with; nothing touches the network.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

TYPER_COMMAND_FLOOR = """\
import typer
app = typer.Typer(add_completion=False)
@app.callback()
def root() -> None: pass
@app.command()
def go(name: str = "x") -> None: pass
app(["go"])
"""


def fieldkit_command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m fieldkit`."""
    script = Path(sys.executable).with_name("fieldkit.exe" if os.name == "nt" else "fieldkit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fieldkit"]


def time_once(command: list[str], env: dict[str, str], *, on_terminal: bool = False) -> float:
    if not on_terminal:
        started = time.perf_counter()
        subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        return time.perf_counter() - started
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    try:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=terminal, stderr=subprocess.DEVNULL)
        os.close(terminal)
        while True:  # drain the screen so the command never blocks on a full terminal
            try:
                if not os.read(controller, 65536):
                    break
            except OSError:  # the terminal closed: the command has exited
                break
        if process.wait() != 0:
            raise subprocess.CalledProcessError(process.returncode, command)
        return time.perf_counter() - started
    finally:
        os.close(controller)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs of each command (default 40)")
    runs = parser.parse_args().runs
    fieldkit = fieldkit_command()
    commands = {
        'python -c "import typer"': [sys.executable, "-c", "import typer"],
        "fieldkit --version": [*fieldkit, "--version"],
        "fieldkit checklists list": [*fieldkit, "checklists", "list"],
        "fieldkit checklists list (terminal)": [*fieldkit, "checklists", "list"],
        "(context) one-option Typer command": [sys.executable, "-c", TYPER_COMMAND_FLOOR],
    }
    cache = tempfile.mkdtemp(prefix="fieldkit-bench-")
    env = {**os.environ, "FIELDKIT_CACHE": cache}
    env.pop("FIELDKIT_CHECKLISTS", None)
    # Installed users have .pyc files; without them every run would recompile fieldkit.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        on_terminal = {name: name.endswith("(terminal)") for name in commands}
        for name, command in commands.items():  # warm the OS file cache and the checklist index
            time_once(command, env, on_terminal=on_terminal[name])
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                samples[name].append(time_once(command, env, on_terminal=on_terminal[name]))
    finally:
        shutil.rmtree(cache, ignore_errors=True)

    floor = statistics.median(samples['python -c "import typer"'])
    floor_min = min(samples['python -c "import typer"'])
    targets = {
        "fieldkit --version": 1.2,
        "fieldkit checklists list": 2.0,
        "fieldkit checklists list (terminal)": 2.0,
    }
    print(f"{runs} runs each, interleaved; Python {sys.version.split()[0]}")
    print(f"{'command':38} {'median':>9} {'min':>9} {'x floor':>8} {'x (min)':>8}  target")
    for name, times in samples.items():
        median, fastest = statistics.median(times), min(times)
        target = targets.get(name)
        verdict = ""
        if target is not None:
            verdict = f"<= {target}x {'met' if median / floor <= target else 'NOT met'}"
        print(
            f"{name:38} {median * 1000:7.1f}ms {fastest * 1000:7.1f}ms "
            f"{median / floor:7.2f}x {fastest / floor_min:7.2f}x  {verdict}"
        )


if __name__ == "__main__":
    main()
