"""The fuzz corpus (tests/fuzz/corpus): every reader, every seed and Hypothesis-mutated variants.

Each reader runs in its own process under resource limits (address space and CPU time), so an
input that makes fieldkit allocate without bound or loop fails the test instead of the machine.
What counts as passing, per input and command: exit 0-3, a message on stderr for exit 2, and
no traceback (tests/fuzz/run_reader.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).parent / "fuzz"
READERS = sorted(path.name for path in (FUZZ / "corpus").iterdir() if path.is_dir())
MEMORY_BYTES = 1536 * 1024 * 1024  # an interpreter with fieldkit loaded uses ~80 MB
CPU_SECONDS = 60
MUTATED_EXAMPLES = 20


def _limits() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def test_every_reader_has_seeds() -> None:
    assert set(READERS) == {
        "answers", "bundles", "cache", "checklists", "config", "journals", "locks", "records",
        "transcripts",
    }  # fmt: skip
    for reader in READERS:
        assert len(list((FUZZ / "corpus" / reader).iterdir())) >= 4, reader


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every reader's run, two at a time (the test machines have two cores)."""
    results: dict[str, subprocess.CompletedProcess[str]] = {}
    pending = list(READERS)
    while pending:
        batch, pending = pending[:2], pending[2:]
        started = {}
        for reader in batch:
            work = tmp_path_factory.mktemp(reader)
            command = [sys.executable, str(FUZZ / "run_reader.py"), reader, str(work),
                       "--examples", str(MUTATED_EXAMPLES)]  # fmt: skip
            started[reader] = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                preexec_fn=_limits,
            )  # fmt: skip
        for reader, process in started.items():
            out, err = process.communicate(timeout=300)
            results[reader] = subprocess.CompletedProcess(command, process.returncode, out, err)
    return results


@pytest.mark.parametrize("reader", READERS)
def test_no_input_breaks_the_reader(
    runs: dict[str, subprocess.CompletedProcess[str]], reader: str
) -> None:
    done = runs[reader]
    # A negative code is a signal: SIGXCPU (the CPU limit) or a kill after a MemoryError.
    assert done.returncode == 0, f"{reader}: exit {done.returncode}\n{done.stderr[-3000:]}"
    failures = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert failures == [], json.dumps(failures[:3], ensure_ascii=False, indent=1)
