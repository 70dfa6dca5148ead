"""The Windows file semantics the record store is written for, simulated where Linux can:
os.replace refused while another program holds visit.json open, a journal Windows will not
delete, no folder fsync, folders with spaces and Chinese names, records under %LOCALAPPDATA%.
What cannot be simulated here is listed in docs/install.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_runner import json_payload
from records_factory import CHINA, answers, completed, fields, snapshot

from fieldkit.records import atomic as atomic_module
from fieldkit.records.atomic import SaveFailed
from fieldkit.records.journal import JOURNAL_FILE
from fieldkit.records.loading import RECORD_FILE, read_record_file
from fieldkit.records.models import VisitStatus
from fieldkit.records.store import RecordStore

START = datetime(2024, 5, 12, 9, 30, tzinfo=CHINA)


def sharing_violation() -> PermissionError:
    # What Windows raises when another process has the file open without FILE_SHARE_DELETE.
    return PermissionError(13, "The process cannot access the file because it is being used by "
                               "another process")  # fmt: skip


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The store's Windows paths switched on; every folder fsync attempted is collected."""
    monkeypatch.setattr(atomic_module, "_ON_WINDOWS", True)
    monkeypatch.setattr(atomic_module.time, "sleep", lambda _s: None)
    folder_fsyncs: list[str] = []
    real_open = os.open

    def open_noting_folders(path: Any, flags: int, *args: Any) -> int:
        if os.path.isdir(path):
            folder_fsyncs.append(str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(atomic_module.os, "open", open_noting_folders)
    return folder_fsyncs


def refuse_replace(monkeypatch: pytest.MonkeyPatch, times: int) -> list[str]:
    """os.replace onto visit.json fails `times` times, as while a reader holds it open."""
    real_replace = os.replace
    calls: list[str] = []

    def replace(source: Any, target: Any) -> None:
        calls.append(str(target))
        if Path(target).name == RECORD_FILE and len(calls) <= times:
            raise sharing_violation()
        real_replace(source, target)

    monkeypatch.setattr(atomic_module.os, "replace", replace)
    return calls


def test_a_reader_holding_visit_json_open_delays_the_save_but_loses_nothing(
    windows: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = RecordStore(tmp_path / "records", clock=lambda: START)
    with store.create(fields(), snapshot()) as handle:
        calls = refuse_replace(monkeypatch, times=3)
        handle.save(completed(handle.record, START))
    assert len(calls) == 4  # three refusals, then the replace that worked
    assert read_record_file(handle.folder / RECORD_FILE).status is VisitStatus.COMPLETED
    assert windows == []  # Windows has no folder fsync: none was tried
    assert not list(handle.folder.glob(".*.tmp"))


def test_a_reader_that_never_lets_go_fails_the_save_and_keeps_the_previous_record(
    windows: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = RecordStore(tmp_path / "records", clock=lambda: START)
    with store.create(fields(), snapshot()) as handle:
        refuse_replace(monkeypatch, times=1000)
        with pytest.raises(SaveFailed, match=r"cannot save visit .*being used by another process"):
            handle.save(completed(handle.record, START))
    assert read_record_file(handle.folder / RECORD_FILE).status is VisitStatus.IN_PROGRESS
    assert not list(handle.folder.glob(".*.tmp"))


def test_a_journal_windows_will_not_delete_is_ignored_once_visit_json_holds_it(
    windows: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = RecordStore(tmp_path / "records", clock=lambda: START)
    with store.create(fields(), snapshot()) as handle:
        for count in (1, 2):  # appended to the journal
            handle.save(handle.record.model_copy(update={"answers": answers(START)[:count]}))
        assert (handle.folder / JOURNAL_FILE).exists()
        real_unlink = Path.unlink

        def unlink(path: Path, missing_ok: bool = False) -> None:
            if path.name == JOURNAL_FILE:
                raise sharing_violation()
            real_unlink(path, missing_ok=missing_ok)

        monkeypatch.setattr(Path, "unlink", unlink)
        handle.save(completed(handle.record, START))  # visit.json rewritten whole
    monkeypatch.undo()
    assert (handle.folder / JOURNAL_FILE).exists()
    record = read_record_file(handle.folder / RECORD_FILE)
    assert record.status is VisitStatus.COMPLETED
    assert [answer.step_id for answer in record.answers] == [a.step_id for a in answers(START)]


def test_records_in_folders_with_spaces_and_chinese_names_work_end_to_end(
    tmp_path: Path,
) -> None:
    root = tmp_path / "李 工 的文件" / "现场 记录"
    store = RecordStore(root, clock=lambda: START)
    photo = tmp_path / "照片 ODF 1.jpg"
    photo.write_bytes(b"\xff\xd8 a photo")
    with store.create(fields(), snapshot()) as handle:
        attached = handle.attach(photo)
        done = completed(handle.record, START)
        done.answers[1].attachments.append(attached)
        handle.save(done)
    bundle = tmp_path / "交给 主管" / "五月 记录.zip"
    bundle.parent.mkdir()
    env = {**os.environ, "FIELDKIT_RECORDS": str(root), "FIELDKIT_LANG": "en"}

    def fieldkit(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "fieldkit", *args], env=env,
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        return result

    listed = json_payload(fieldkit("visits", "list", "--json").stdout, "fieldkit.visits/1")
    assert [visit["visit_id"] for visit in listed] == [handle.visit_id]
    fieldkit("visits", "bundle", "--since", (START - timedelta(days=1)).date().isoformat(),
             "-o", str(bundle))  # fmt: skip
    summary = json_payload(fieldkit("report", "summary", str(bundle), "--json").stdout,
                           "fieldkit.report-summary/1")
    assert summary["summary"]["totals"]["visits"] == 1
    assert (handle.folder / attached.stored_path).read_bytes() == photo.read_bytes()


LOCALAPPDATA_DRIVER = textwrap.dedent(
    """\
    import json, os, sys
    sys.platform = "win32"  # platformdirs picks its Windows rules when first imported
    import platformdirs.windows
    # Off Windows there is no shell API to ask; Windows' own environment variable stands in.
    platformdirs.windows._RESOLVE_WIN_FOLDER = platformdirs.windows.get_win_folder_from_env_vars
    from fieldkit import paths
    print(json.dumps({
        "records": str(paths.records_dir()), "config": str(paths.config_file()),
        "checklists": str(paths.user_checklists_dir()), "cache": str(paths.cache_dir()),
    }))
    """
)


def test_records_config_and_checklists_live_under_localappdata_on_windows(
    tmp_path: Path,
) -> None:
    local = tmp_path / "Users" / "李 工" / "AppData" / "Local"
    env = {key: value for key, value in os.environ.items() if not key.startswith("FIELDKIT_")}
    done = subprocess.run([sys.executable, "-c", LOCALAPPDATA_DRIVER],
                          env={**env, "LOCALAPPDATA": str(local)}, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    where = {key: Path(value) for key, value in json.loads(done.stdout).items()}
    assert where == {
        "records": local / "fieldkit" / "records",
        "config": local / "fieldkit" / "config.yaml",
        "checklists": local / "fieldkit" / "checklists",
        "cache": local / "fieldkit" / "Cache",
    }
    store = RecordStore(where["records"], clock=lambda: START)
    with store.create(fields(), snapshot()) as handle:
        handle.save(completed(handle.record, START))
    assert store.load(handle.visit_id).status is VisitStatus.COMPLETED
