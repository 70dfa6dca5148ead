"""Run one fieldkit reader on every seed of its corpus and on Hypothesis-mutated variants.

    python tests/fuzz/run_reader.py READER WORKDIR [--examples N]

READER is a folder of tests/fuzz/corpus (checklists, answers, records, journals, locks,
bundles, transcripts, config, cache). Each input goes through the real CLI (`run_app`), in this
process, the way a user's command would read it. Printed on stdout, one JSON line each: every
input that ended in anything but an exit code 0-3 with, for exit 2, a message (a traceback, an
exception, a silent refusal). The caller (tests/test_fuzz_readers.py) runs this under memory
and CPU limits, so an input that eats the memory or loops is a failure too.

Nothing here touches the network: the answers checklist has no ping step, and transcripts
are only interpreted.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import socket
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
HOSTILE_TOKENS = [
    b"\\ud800", "\ud800".encode("utf-8", "surrogatepass"), b"9" * 5000, b"[" * 300, b"NaN",
    b"\x00", "²".encode(), "\u200b".encode(), b"\xff\xfe", b"\r\n" * 3, b"-1", b"1e400",
    b"0001-01-01", b"=HYPERLINK(1)", b"'", b'"', b"{", b"}", b":", b"\t",
]  # fmt: skip

# A checklist without a ping step: a mutated gateway must never be pinged.
FUZZ_CHECKLIST = """\
schema: 1
id: fuzz-walk
version: "1.0"
kind: turnup
title: {zh: 模糊测试, en: Fuzz walk}
description: {zh: 测试用, en: for tests}
steps:
  - id: gateway
    type: record
    title: {zh: 网关, en: Gateway}
    input: ipv4
  - id: converter_power
    type: instruction
    title: {zh: 通电, en: Power on}
"""

Command = list[str]


class Reader:
    """How one kind of file is put in place and read; `commands` are the CLI calls."""

    def __init__(self, work: Path) -> None:
        self.work = work

    def place(self, data: bytes, name: str) -> list[Command]:
        raise NotImplementedError


def _visit_id(record_text: bytes) -> str:
    return str(json.loads(record_text)["visit_id"])


class Checklists(Reader):
    def place(self, data: bytes, name: str) -> list[Command]:
        path = self.work / name
        path.write_bytes(data)
        return [["checklists", "validate", str(path)], ["checklists", "show", str(path)]]


class Answers(Reader):
    def place(self, data: bytes, name: str) -> list[Command]:
        checklist = self.work / "fuzz-walk.yaml"
        checklist.write_text(FUZZ_CHECKLIST, encoding="utf-8")
        path = self.work / name
        path.write_bytes(data)
        return [["run", str(checklist), "--answers", str(path), "--records", str(self.work / "r")]]


class Records(Reader):
    def place(self, data: bytes, name: str) -> list[Command]:
        records = self.work / "records"
        folder = records / "20240512T013000Z-AAAAAAAAAA"
        folder.mkdir(parents=True)
        (folder / "visit.json").write_bytes(data)
        return [
            ["visits", "list", "--records", str(records)],
            ["visits", "show", folder.name, "--records", str(records), "-f", "md"],
            ["report", "summary", str(records), "--json"],
            ["report", "export", str(records), "-f", "xlsx", "-o", str(self.work / "r.xlsx")],
            ["visits", "bundle", "--records", str(records), "-o", str(self.work / "b.zip")],
        ]


class Journals(Reader):
    def place(self, data: bytes, name: str) -> list[Command]:
        base = (CORPUS / "journals" / "base_visit.json").read_bytes()
        visit_id = _visit_id(base)
        records = self.work / "records"
        folder = records / visit_id
        folder.mkdir(parents=True)
        (folder / "visit.json").write_bytes(base)
        sha = hashlib.sha256(base).hexdigest().encode()
        (folder / "visit.journal").write_bytes(data.replace(b"BASE_SHA", sha))
        return [
            ["visits", "show", visit_id, "--records", str(records)],
            ["report", "summary", str(records)],
            ["visits", "abort", visit_id, "--reason", "fuzz", "--records", str(records)],
        ]


class Locks(Reader):
    def place(self, data: bytes, name: str) -> list[Command]:
        base = (CORPUS / "journals" / "base_visit.json").read_bytes()
        visit_id = _visit_id(base)
        records = self.work / "records"
        folder = records / visit_id
        folder.mkdir(parents=True)
        (folder / "visit.json").write_bytes(base)
        (folder / "visit.lock").write_bytes(data.replace(b"HOST", socket.gethostname().encode()))
        return [["visits", "abort", visit_id, "--reason", "fuzz", "--records", str(records)]]


class Bundles(Reader):
    def place(self, data: bytes, name: str) -> list[Command]:
        path = self.work / name
        path.write_bytes(data)
        out = str(self.work / "out.csv")
        return [
            ["report", "summary", str(path), "--json"],
            ["report", "export", str(path), "-f", "csv", "--level", "step", "-o", out],
        ]


class Transcripts(Reader):
    def place(self, data: bytes, name: str) -> list[Command]:
        path = self.work / name
        path.write_bytes(data)
        return [["ping", "interpret", str(path)], ["ping", "interpret", str(path), "--json"]]


class Config(Reader):
    def place(self, data: bytes, name: str) -> list[Command]:
        (self.work / "config.yaml").write_bytes(data)
        os.environ["FIELDKIT_CONFIG"] = str(self.work / "config.yaml")
        checklist = self.work / "fuzz-walk.yaml"
        checklist.write_text(FUZZ_CHECKLIST, encoding="utf-8")
        answers = self.work / "answers.yaml"
        answers.write_text("customer: C\ngateway: 127.0.0.1\nconverter_power: true\n", "utf-8")
        return [["run", str(checklist), "--answers", str(answers), "--records", str(self.work)]]


class Cache(Reader):
    def place(self, data: bytes, name: str) -> list[Command]:
        from fieldkit.checklist.registry import _validator_fingerprint
        from fieldkit.paths import builtin_checklists_dir

        builtin = builtin_checklists_dir() / "lan-turnup.yaml"
        filled = (
            data.replace(b"FINGERPRINT", _validator_fingerprint().encode())
            .replace(b"KEY", json.dumps(str(builtin))[1:-1].encode())
            .replace(b"SHA", hashlib.sha256(builtin.read_bytes()).hexdigest().encode())
        )
        cache = self.work / "cache"
        cache.mkdir()
        (cache / "checklist-index.json").write_bytes(filled)
        os.environ["FIELDKIT_CACHE"] = str(cache)
        return [["checklists", "list"], ["checklists", "show", "lan-turnup"]]


READERS: dict[str, Callable[[Path], Reader]] = {
    "checklists": Checklists, "answers": Answers, "records": Records, "journals": Journals,
    "locks": Locks, "bundles": Bundles, "transcripts": Transcripts, "config": Config,
    "cache": Cache,
}  # fmt: skip


def run_cli(argv: Command) -> tuple[int | None, str, str]:
    """(exit code, stderr, the traceback if anything but SystemExit escaped)."""
    from fieldkit.cli.app import run_app

    out, err = io.StringIO(), io.StringIO()
    code: int | None = 0
    trace = ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            run_app(argv)
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else int(exited.code is not None)
        except BaseException:  # any other escape is the failure looked for
            code, trace = None, traceback.format_exc()
    return code, err.getvalue(), trace


def check(reader_name: str, work_root: Path, data: bytes, name: str) -> list[dict[str, object]]:
    """Every way this input broke the reader (empty when it did not)."""
    work = work_root / "case"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ.pop("FIELDKIT_CONFIG", None)
    os.environ["FIELDKIT_CACHE"] = str(work_root / "cache-default")
    problems = []
    for argv in READERS[reader_name](work).place(data, name):
        code, stderr, trace = run_cli(argv)
        clear = code in (0, 1, 3) or (code == 2 and stderr.strip() != "")
        if trace or not clear or "Traceback" in stderr:
            problems.append(
                {"input": name, "argv": argv[:2], "code": code, "stderr": stderr[-500:],
                 "traceback": trace[-1500:], "size": len(data)}
            )  # fmt: skip
    return problems


def mutate(data: bytes, draw: Callable[..., object]) -> bytes:
    """One Hypothesis-chosen change: a hostile token put in, a slice cut out, a byte changed,
    or the file cut short."""
    from hypothesis import strategies as st

    position = int(draw(st.integers(0, len(data))))  # type: ignore[call-overload]
    kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
    if kind == "insert":
        token = draw(st.sampled_from(HOSTILE_TOKENS))
        return data[:position] + token + data[position:]  # type: ignore[operator]
    if kind == "delete":
        length = int(draw(st.integers(1, 64)))  # type: ignore[call-overload]
        return data[:position] + data[position + length :]
    if kind == "replace" and data:
        index = min(position, len(data) - 1)
        byte = int(draw(st.integers(0, 255)))  # type: ignore[call-overload]
        return data[:index] + bytes([byte]) + data[index + 1 :]
    return data[:position]


def main() -> None:
    reader_name, work_root = sys.argv[1], Path(sys.argv[2])
    examples = int(sys.argv[sys.argv.index("--examples") + 1]) if "--examples" in sys.argv else 20
    os.environ.update(
        {"FIELDKIT_LANG": "en", "FIELDKIT_USER_CHECKLISTS": str(work_root / "no-user-checklists"),
         "FIELDKIT_RECORDS": str(work_root / "no-records"), "COLUMNS": "100"}
    )  # fmt: skip
    seeds = sorted(path for path in (CORPUS / reader_name).iterdir() if path.is_file())
    if reader_name in ("journals", "locks"):
        seeds = [path for path in seeds if path.name != "base_visit.json"]
    failures: list[dict[str, object]] = []
    for seed in seeds:
        failures += check(reader_name, work_root, seed.read_bytes(), seed.name)

    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    @settings(
        max_examples=examples, derandomize=True, database=None, deadline=None,
        phases=[Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(st.sampled_from(seeds), st.data())
    def mutated(seed: Path, data: st.DataObject) -> None:
        variant = mutate(seed.read_bytes(), data.draw)
        failures.extend(check(reader_name, work_root, variant, f"mutated-{seed.name}"))

    mutated()
    for failure in failures:
        print(json.dumps(failure, ensure_ascii=False))


if __name__ == "__main__":
    main()
