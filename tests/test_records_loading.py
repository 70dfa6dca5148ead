"""Reading records: old versions, digests, and every kind of broken file as a clear error."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from fieldkit.errors import ValidationFailed
from fieldkit.records import loading, migrations
from fieldkit.records.identity import content_digest
from fieldkit.records.loading import (
    MAX_JOURNAL_BYTES,
    RecordUnreadable,
    iter_record_files,
    parse_checked_record,
    parse_record,
    read_checked_record_file,
    read_record_file,
)
from fieldkit.records.models import ChecklistSnapshot, VisitStatus, verify_digest
from fieldkit.text import Text

FIXTURES = Path(__file__).parent / "fixtures" / "records"


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("v*.json")), ids=lambda p: p.name)
def test_every_fixture_of_every_schema_version_loads(fixture: Path) -> None:
    record = read_record_file(fixture)
    assert record.customer
    assert record.answers


def test_a_v1_completed_record_reads_as_written() -> None:
    record = read_record_file(FIXTURES / "v1-completed.json")
    assert record.status is VisitStatus.COMPLETED
    assert verify_digest(record)
    assert [a.ping_attempts[-1]["verdict"] for a in record.answers if a.ping_attempts] == ["ok"]
    assert record.answers[1].attachments[0].stored_path == "attachments/rlk-light.jpg"


def _fixture_raw() -> dict[str, Any]:
    """A completed record of the current schema version."""
    raw: dict[str, Any] = json.loads((FIXTURES / "v2-completed.json").read_text("utf-8"))
    return raw


def test_a_changed_value_breaks_the_digest() -> None:
    raw = _fixture_raw()
    raw["answers"][0]["value"] = "127.0.0.2"
    assert not verify_digest(parse_record(json.dumps(raw).encode(), "changed.json"))


def test_reformatting_the_file_keeps_the_digest() -> None:
    raw = _fixture_raw()
    record = parse_record(json.dumps(raw, indent=4, ensure_ascii=True).encode(), "x.json")
    assert verify_digest(record)


def test_a_record_without_digest_does_not_verify() -> None:
    assert not verify_digest(read_record_file(FIXTURES / "v1-in-progress.json"))


def test_invalid_json_names_the_file_line_and_column(tmp_path: Path) -> None:
    broken = tmp_path / "visit.json"
    broken.write_text('{\n "schema_version": 1,\n "visit_id": oops\n}', "utf-8")
    with pytest.raises(RecordUnreadable, match=rf"{broken}:3:14: invalid JSON"):
        read_record_file(broken)


def test_a_truncated_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    truncated = tmp_path / "visit.json"
    truncated.write_bytes((FIXTURES / "v1-completed.json").read_bytes()[:500])
    with pytest.raises(RecordUnreadable, match="invalid JSON"):
        read_record_file(truncated)


def test_schema_errors_name_the_file_and_the_field() -> None:
    raw = _fixture_raw()
    raw["answers"][2]["answered_at"] = "2024-05-12T09:30:00"
    raw["grade"] = "vip"
    with pytest.raises(ValidationFailed) as caught:
        parse_record(json.dumps(raw).encode(), "r.json")
    assert any(p.startswith("r.json: answers.2.answered_at:") for p in caught.value.problems)
    assert any(p.startswith("r.json: grade:") for p in caught.value.problems)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[1, 2]", "expected a JSON object"),
        (b'{"schema_version": 99}', "newer than this fieldkit reads"),
        (b'{"customer": "x"}', "schema_version must be a whole number"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_files_that_are_not_records_are_named(content: bytes, message: str) -> None:
    with pytest.raises(RecordUnreadable, match=message):
        parse_record(content, "some.json")


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RecordUnreadable, match="cannot read"):
        read_record_file(tmp_path / "nope.json")


def test_upgrades_run_in_order_and_keep_the_written_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    """A record written as a pretend version 0 goes through the chain to the current version."""
    raw = _fixture_raw()
    old = {**raw, "schema_version": 0, "engineer_name": raw["engineer"]}
    del old["engineer"]

    def rename_engineer(record: dict[str, Any]) -> dict[str, Any]:
        record["engineer"] = record.pop("engineer_name")
        return record

    with pytest.raises(RecordUnreadable, match="no upgrade from schema_version 0"):
        parse_record(json.dumps(old).encode(), "v0.json")
    monkeypatch.setitem(migrations.UPGRADES, 0, rename_engineer)
    old["digest"] = content_digest(old)
    record = parse_record(json.dumps(old).encode(), "v0.json")
    assert record.engineer == raw["engineer"]
    assert record.schema_version == migrations.SCHEMA_VERSION
    assert verify_digest(record)  # checked against the content as it was written


def test_record_files_are_found_recursively_but_not_inside_attachments(tmp_path: Path) -> None:
    for folder in ("a/v1", "b/c/v2", "a/v1/attachments"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "visit.json").write_text("{}")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_record_files(tmp_path)]
    assert found == ["a/v1/visit.json", "b/c/v2/visit.json"]


def test_a_folder_that_cannot_be_listed_is_read_as_a_record_and_so_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listing permission is simulated (the tests run as root); such records used to vanish."""
    for folder in ("a/v1", "b/v2"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "visit.json").write_text("{}")
    real_scandir = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if Path(path) == tmp_path / "a":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = [p.relative_to(tmp_path).as_posix() for p in iter_record_files(tmp_path)]
    assert found == ["a/visit.json", "b/v2/visit.json"]


def test_the_checklist_sha256_may_be_the_file_s_with_its_bom() -> None:
    """A checklist saved by Notepad starts with a BOM: the record keeps the file's own hash."""
    source = "schema: 1\nid: x\n"
    file_bytes = b"\xef\xbb\xbf" + source.encode("utf-8")
    snap = ChecklistSnapshot.from_source(
        source,
        id="x",
        version="1",
        kind="turnup",
        title=Text(zh="x", en="x"),
        file_sha256=hashlib.sha256(file_bytes).hexdigest(),
    )
    assert snap.sha256 == hashlib.sha256(file_bytes).hexdigest()
    with pytest.raises(ValueError, match="sha256 does not match"):
        ChecklistSnapshot.model_validate({**snap.model_dump(), "source_text": source + "#"})


def _spelled_differently(raw: dict[str, Any]) -> dict[str, Any]:
    """The same content with a value in another spelling than fieldkit's: `1` for `true`."""
    answer = next(a for a in raw["answers"] if a["passed"] is True)
    answer["passed"] = 1
    return raw


@pytest.mark.parametrize(
    ("edit", "verifies"),
    [
        (lambda raw: raw, True),
        (lambda raw: {**raw, "customer": raw["customer"] + " (edited)"}, False),
        (lambda raw: {**raw, "digest": None}, False),
        (_spelled_differently, True),
    ],
    ids=["as-written", "edited", "no-digest", "other-spelling"],
)
def test_the_checked_reader_agrees_with_verify_digest(edit: Any, verifies: bool) -> None:
    """The report hashes the parsed file content; it must agree with verify_digest."""
    data = json.dumps(edit(_fixture_raw()), indent=3).encode()
    checked = parse_checked_record(data, "r.json")
    assert checked.digest_ok is verifies
    assert verify_digest(parse_record(data, "r.json")) is verifies


def test_the_checked_reader_reads_files_too() -> None:
    checked = read_checked_record_file(FIXTURES / "v1-completed.json")
    assert checked.digest_ok and checked.record.status is VisitStatus.COMPLETED


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'\xef\xbb\xbf{"schema_version": 1}', "r.json:1:1: invalid JSON: Unexpected UTF-8 BOM"),
        (b'{"schema_version": 1,}', "r.json:1:22: invalid JSON: Expecting property name"),
        (b'{"customer": "\xff"}', r"r.json: not UTF-8 text \(byte 14\)"),
    ],
)
def test_json_errors_keep_the_json_module_s_wording(content: bytes, message: str) -> None:
    with pytest.raises(RecordUnreadable, match=message):
        parse_record(content, "r.json")


def test_an_escaped_lone_surrogate_is_refused_with_the_file_named() -> None:
    """Valid JSON to Python's json module, but no text: an export writing it as UTF-8 would
    stop at it, so the record is refused where it is read."""
    raw = _fixture_raw()
    raw["answers"][0]["notes"] = [{"text": "\ud800", "at": raw["started_at"]}]
    text = json.dumps(raw)  # ensure_ascii: the surrogate is written as the escape \ud800
    with pytest.raises(RecordUnreadable, match=r"^r\.json: invalid JSON: .*lone surrogate"):
        parse_record(text.encode(), "r.json")


def test_a_record_nested_too_deep_or_with_a_huge_number_is_refused_with_its_file() -> None:
    text = json.dumps(_fixture_raw())
    deep = text[:-1] + ', "extra": ' + "[" * 3000 + "]" * 3000 + "}"
    huge = text[:-1] + ', "extra": ' + "9" * 5000 + "}"
    for data in (deep, huge):
        with pytest.raises(RecordUnreadable, match=r"^r\.json: invalid JSON: .*too large"):
            parse_record(data.encode(), "r.json")


def test_a_fifo_or_a_huge_journal_is_named_not_waited_on(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    folder.mkdir()
    (folder / "visit.json").write_bytes((FIXTURES / "v1-in-progress.json").read_bytes())
    os.mkfifo(folder / "visit.journal")
    with pytest.raises(RecordUnreadable, match=r"visit\.journal: cannot read: .*FIFO"):
        read_record_file(folder / "visit.json")
    (folder / "visit.journal").unlink()
    with (folder / "visit.journal").open("wb") as journal:
        journal.truncate(MAX_JOURNAL_BYTES + 1)  # sparse: takes no disk
    with pytest.raises(RecordUnreadable, match=r"visit\.journal: cannot read: larger than"):
        read_record_file(folder / "visit.json")
    (folder / "visit.journal").unlink()
    (folder / "visit.json").unlink()
    os.mkfifo(folder / "visit.json")
    with pytest.raises(RecordUnreadable, match=r"visit\.json: cannot read: .*FIFO"):
        read_record_file(folder / "visit.json")


def test_a_file_over_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (FIXTURES / "v1-completed.json").read_bytes()
    path = tmp_path / "visit.json"
    path.write_bytes(data)
    monkeypatch.setattr(loading, "MAX_RECORD_BYTES", len(data))
    assert read_record_file(path).customer  # exactly at the limit: read
    path.write_bytes(data + b" ")
    with pytest.raises(RecordUnreadable, match=f"larger than {len(data)} bytes"):
        read_record_file(path)


def test_an_edited_checklist_copy_is_caught_after_the_same_checklist_was_read() -> None:
    """The reader reuses the canonical JSON of a checklist snapshot it has seen; an edited copy
    with the same sha256 must still break the digest."""
    raw = _fixture_raw()
    assert parse_checked_record(json.dumps(raw).encode(), "first.json").digest_ok
    raw["checklist"]["title"]["en"] += " (edited)"
    assert not parse_checked_record(json.dumps(raw).encode(), "second.json").digest_ok
    raw["checklist"]["title"]["en"] = raw["checklist"]["title"]["en"].removesuffix(" (edited)")
    assert parse_checked_record(json.dumps(raw, indent=2).encode(), "third.json").digest_ok


def _v1_record(kind: str, power_passed: bool, ping_passed: bool, **answer_edits: Any) -> bytes:
    """A version-1 record as fieldkit 0.1 wrote it: outcome passed/failed whatever the kind,
    every failed step in failed_steps, and a digest over that content."""
    raw: dict[str, Any] = json.loads((FIXTURES / "v1-completed.json").read_text("utf-8"))
    raw["checklist"]["kind"] = kind
    power, ping = raw["answers"][1], raw["answers"][2]
    power.update(value=power_passed, passed=power_passed)
    ping.update(passed=ping_passed, **answer_edits)
    raw["failed_steps"] = [a["step_id"] for a in raw["answers"] if a["passed"] is False]
    raw["outcome"] = "failed" if raw["failed_steps"] else "passed"
    raw["digest"] = content_digest(raw)
    return json.dumps(raw, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("kind", "power", "ping", "edits", "outcome", "failed", "findings"),
    [
        ("turnup", False, True, {}, "failed", ["converter_power"], []),
        # The last step that can fail (the ping) says whether the repair restored service.
        ("repair", False, True, {}, "restored", [], ["converter_power"]),
        ("repair", True, False, {}, "not_restored", ["ping_gateway"], []),
        ("inspection", False, True, {}, "completed", [], ["converter_power"]),
        # A failed check that ended the visit left its trace in the walk's skip reasons.
        ("visit", False, None,
         {"skipped": True, "answered_at": None, "value": None, "ping_attempts": [],
          "skip_reason": "检查 converter_power 未通过，不能继续，走访结束"},
         "not_completed", ["converter_power"], []),
    ],
)
def test_a_v1_record_is_judged_by_its_kind_on_reading_and_its_digest_still_verifies(
    kind: str,
    power: bool,
    ping: bool,
    edits: dict[str, Any],
    outcome: str,
    failed: list[str],
    findings: list[str],
) -> None:
    data = _v1_record(kind, power, ping, **edits)
    checked = parse_checked_record(data, "v1.json")
    record = checked.record
    assert record.schema_version == migrations.SCHEMA_VERSION
    assert (record.outcome.value if record.outcome else None) == outcome
    assert (record.failed_steps, record.findings) == (failed, findings)
    assert checked.digest_ok and verify_digest(record)


def test_an_upgraded_record_that_cannot_be_hashed_as_written_reads_as_changed() -> None:
    """fieldkit never wrote NaN (no canonical JSON has it): such a file was edited. Its
    digest fails, with no traceback, like any other change."""
    raw: dict[str, Any] = json.loads((FIXTURES / "v1-completed.json").read_text("utf-8"))
    raw["answers"][2]["ping_attempts"][0]["statistics"]["loss_pct"] = float("nan")
    checked = parse_checked_record(json.dumps(raw).encode(), "r.json")
    assert checked.record.outcome is not None and not checked.digest_ok
    assert not verify_digest(checked.record)
