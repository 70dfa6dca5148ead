"""Reading records in worker processes gives exactly the report one process gives."""

from __future__ import annotations

import json
import os
import signal
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_report_helpers import TODAY
from test_report_kpi import build_team
from test_report_sources import rewrite_zip

from fieldkit.bundle import write_bundle
from fieldkit.records import workers
from fieldkit.records.identity import content_digest
from fieldkit.records.sources import RecordJob
from fieldkit.records.store import RecordStore
from fieldkit.report.pipeline import ReportOptions, export


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The KPI team (duplicate, changed, broken files), its bundle (every visit again), and a
    bundle in which one visit was edited and re-sealed, so only its manifest entry disagrees."""
    root = tmp_path_factory.mktemp("records")
    folders = build_team(root)
    bundle = root / "team.zip"
    write_bundle(RecordStore(folders["team"]), bundle)
    name = next(n for n in zipfile.ZipFile(bundle).namelist() if n.endswith("visit.json"))
    content = json.loads(zipfile.ZipFile(bundle).read(name))
    content["engineer"] = "重新封存"
    content["digest"] = content_digest(content)
    resealed = root / "resealed.zip"
    rewrite_zip(bundle, resealed, {name: json.dumps(content).encode()})
    return [resealed, folders["team"], folders["copy"], folders["odd"], bundle]


def xlsx_cells(path: Path) -> list[object]:
    book = openpyxl.load_workbook(path, read_only=True)
    return [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("json", {}),
        ("csv", {}),
        ("csv", {"level": "step"}),
        ("xlsx", {}),
        ("html", {"redact": True}),
    ],
)
def test_workers_write_the_same_report(
    sources: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str,
    options: dict[str, object],
) -> None:
    monkeypatch.setattr(workers, "PARALLEL_AFTER", 2)  # the rest in workers, a few per chunk
    monkeypatch.setattr(workers, "CHUNK", 3)
    outputs = []
    for count in (1, 2):
        output = tmp_path / f"{count}.{fmt}"
        report = ReportOptions(sources=sources, today=TODAY, include_changed=True, workers=count)
        result = export(report, fmt, output, **options)  # type: ignore[arg-type]
        outputs.append(xlsx_cells(output) if fmt == "xlsx" else output.read_bytes())
    assert outputs[0] == outputs[1]
    notes = {note.kind.value for note in result.sources.notes}
    assert {"changed", "manifest", "duplicate", "invalid"} <= notes
    assert result.sources.changed_included == 2  # the edited file and the re-sealed visit
    assert result.summary.totals.visits == 11


def test_workers_leave_changed_visits_out(
    sources: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --include-changed the changed copies are left out (the team's copy of the
    re-sealed visit counts instead)."""
    monkeypatch.setattr(workers, "PARALLEL_AFTER", 1)
    result = export(ReportOptions(sources=sources, today=TODAY, workers=2), "csv",
                    tmp_path / "r.csv")
    rows = (tmp_path / "r.csv").read_text("utf-8-sig").splitlines()
    assert len(rows) == 1 + 10 and result.sources.changed_included == 0
    assert "重新封存" not in "".join(rows) and "改过的" not in "".join(rows)


class ReadingHitByCtrlC:
    """Reads a job as its `where`, after a Ctrl-C reaches the worker reading it."""

    def __init__(self) -> None:
        self.main_pid = os.getpid()

    def read(self, job: RecordJob) -> str:
        if os.getpid() != self.main_pid:
            os.kill(os.getpid(), signal.SIGINT)  # as the terminal does to the whole group
        return job.where


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="POSIX signals")
def test_a_ctrl_c_reaching_the_workers_is_left_to_the_main_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workers used to raise KeyboardInterrupt themselves, each printing a traceback."""
    monkeypatch.setattr(workers, "PARALLEL_AFTER", 1)
    jobs = [(number, RecordJob(f"file {number}", data=b"{}")) for number in range(8)]
    try:
        read = list(workers.read_in_order(jobs, ReadingHitByCtrlC(), workers=2))  # type: ignore[arg-type]
    except KeyboardInterrupt:
        pytest.fail("a worker raised KeyboardInterrupt")
    assert read == [(number, f"file {number}") for number in range(8)]
