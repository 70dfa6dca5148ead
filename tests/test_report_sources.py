"""Reading bundles: manifests checked, hostile zips refused, and the report always goes on."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from cli_runner import invoke, json_payload
from test_report_helpers import TODAY, at, make, record_bytes, turnup_answers, write

from fieldkit.bundle import write_bundle
from fieldkit.errors import UserInputError
from fieldkit.records.sources import NoteKind, VisitReader
from fieldkit.records.store import RecordStore
from fieldkit.report.pipeline import ReportOptions, summarize
from fieldkit.safezip import ZipLimits


def two_visits(root: Path) -> list[str]:
    ids = []
    for day in (6, 7):
        record = make("turnup", started=at(day), answers=turnup_answers(at(day), ["ok"]))
        write(root, record)
        ids.append(record.visit_id)
    return ids


def read(sources: list[Path], **options: object) -> VisitReader:
    reader = VisitReader(sources, **options)  # type: ignore[arg-type]
    reader.visits = list(reader)  # type: ignore[attr-defined]
    return reader


def test_a_bundle_from_visits_bundle_reads_like_its_folder(tmp_path: Path) -> None:
    ids = two_visits(tmp_path / "records")
    bundle = tmp_path / "team.zip"
    write_bundle(RecordStore(tmp_path / "records"), bundle)
    reader = read([bundle])
    assert sorted(v.item.visit_id for v in reader.visits) == sorted(ids)  # type: ignore[attr-defined]
    assert not reader.report.notes
    # The folder and its bundle together: each visit counted once, the copies noted.
    reader = read([tmp_path / "records", bundle])
    assert len(reader.visits) == 2  # type: ignore[attr-defined]
    assert reader.report.counts[NoteKind.DUPLICATE] == 2


def rewrite_zip(source: Path, target: Path, change: dict[str, bytes | None]) -> None:
    """Copy a zip, replacing (bytes) or dropping (None) the named entries."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    new.writestr(info.filename, change[info.filename])  # type: ignore[arg-type]
            else:
                new.writestr(info.filename, old.read(info))


def test_manifest_mismatches_are_noted_and_left_out_unless_include_changed(
    tmp_path: Path,
) -> None:
    ids = two_visits(tmp_path / "records")
    bundle = tmp_path / "team.zip"
    write_bundle(RecordStore(tmp_path / "records"), bundle)
    manifest = json.loads(zipfile.ZipFile(bundle).read("manifest.json"))
    manifest["visits"][0]["digest"] = "0" * 64
    manifest["visits"].append({"visit_id": "20240101T000000Z-0000000000", "digest": "1" * 64})
    tampered = tmp_path / "tampered.zip"
    rewrite_zip(bundle, tampered, {"manifest.json": json.dumps(manifest).encode()})

    reader = read([tampered])
    assert len(reader.visits) == 1  # type: ignore[attr-defined]
    messages = [n.message for n in reader.report.notes if n.kind is NoteKind.MANIFEST]
    assert any("differs from the bundle's manifest; left out" in m for m in messages)
    assert any("which the bundle does not hold" in m for m in messages)

    reader = read([tampered], include_changed=True)
    assert len(reader.visits) == 2  # type: ignore[attr-defined]
    assert sum(v.changed for v in reader.visits) == 1  # type: ignore[attr-defined]
    assert sorted(v.item.visit_id for v in reader.visits) == sorted(ids)  # type: ignore[attr-defined]


def test_a_changed_record_inside_a_bundle_is_noted(tmp_path: Path) -> None:
    two_visits(tmp_path / "records")
    bundle = tmp_path / "team.zip"
    write_bundle(RecordStore(tmp_path / "records"), bundle)
    name = next(n for n in zipfile.ZipFile(bundle).namelist() if n.endswith("visit.json"))
    content = json.loads(zipfile.ZipFile(bundle).read(name))
    content["customer"] = "someone else"
    tampered = tmp_path / "tampered.zip"
    rewrite_zip(bundle, tampered, {name: json.dumps(content).encode()})
    reader = read([tampered])
    assert len(reader.visits) == 1  # type: ignore[attr-defined]
    assert reader.report.counts[NoteKind.CHANGED] == 1


def hostile_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_hostile_entries_are_refused_and_the_rest_is_read(tmp_path: Path) -> None:
    good = make("turnup", started=at(6), answers=turnup_answers(at(6), ["ok"]))
    bomb = b"{" + b" " * (64 * 1024 * 1024) + b"}"  # 64 MB of spaces: compresses ~1000:1
    path = hostile_zip(tmp_path / "hostile.zip", {
        "../../escape/visit.json": record_bytes(good),
        "/etc/visit.json": record_bytes(good),
        "C:/Windows/visit.json": record_bytes(good),
        "bomb/visit.json": bomb,
        f"{good.visit_id}/visit.json": record_bytes(good),
    })
    reader = read([path])
    assert [v.item.visit_id for v in reader.visits] == [good.visit_id]  # type: ignore[attr-defined]
    reasons = {n.where.split("!", 1)[1]: n.message for n in reader.report.notes
               if n.kind is NoteKind.UNSAFE}
    assert "climbs out" in reasons["../../escape/visit.json"]
    assert "absolute" in reasons["/etc/visit.json"]
    assert "absolute" in reasons["C:/Windows/visit.json"]
    assert "too large" in reasons["bomb/visit.json"]


def test_a_bomb_under_the_size_limit_is_caught_by_its_ratio(tmp_path: Path) -> None:
    path = hostile_zip(tmp_path / "ratio.zip", {"x/visit.json": b"0" * (4 * 1024 * 1024)})
    reader = read([path])
    assert "zip bomb" in reader.report.notes[-1].message


def test_a_lying_header_is_caught_while_reading(tmp_path: Path) -> None:
    # The declared size passes every check; the entry then inflates past the limit.
    limits = ZipLimits(max_entry_bytes=1000, max_ratio=10**9)
    path = hostile_zip(tmp_path / "liar.zip", {"x/visit.json": b"0" * 5000})
    raw = bytearray(path.read_bytes())
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # local and central headers: size := 10
        start = 0
        while (start := raw.find(header, start)) >= 0:
            offset = start + (22 if header == b"PK\x03\x04" else 24)
            raw[offset:offset + 4] = (10).to_bytes(4, "little")
            start += 4
    path.write_bytes(bytes(raw))
    reader = read([path], limits=limits)
    assert not reader.visits  # type: ignore[attr-defined]
    assert reader.report.counts[NoteKind.UNSAFE] == 1


def test_too_many_entries_refuses_the_whole_zip_and_other_sources_still_count(
    tmp_path: Path,
) -> None:
    many = hostile_zip(tmp_path / "many.zip", {f"v{n}/visit.json": b"{}" for n in range(11)})
    two_visits(tmp_path / "records")
    not_a_zip = tmp_path / "notes.zip"
    not_a_zip.write_text("not a zip at all")
    reader = read([many, not_a_zip, tmp_path / "records"], limits=ZipLimits(max_entries=10))
    assert len(reader.visits) == 2  # type: ignore[attr-defined]
    messages = [n.message for n in reader.report.notes if n.kind is NoteKind.UNSAFE]
    assert any("too many entries" in m for m in messages)
    assert any("not a readable zip" in m for m in messages)


def test_a_missing_source_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="no such file or folder"):
        summarize(ReportOptions(sources=[tmp_path / "nowhere"], today=TODAY))


def test_a_folder_without_any_record_is_noted_and_the_other_sources_still_count(
    tmp_path: Path,
) -> None:
    """A supervisor who names the wrong folder is told, not handed an empty report in silence."""
    ids = two_visits(tmp_path / "records")
    wrong = tmp_path / "inbox"
    (wrong / "photos").mkdir(parents=True)
    (wrong / "photos" / "odf.jpg").write_bytes(b"\xff\xd8")
    reader = read([wrong, tmp_path / "records"])
    assert sorted(v.item.visit_id for v in reader.visits) == sorted(ids)  # type: ignore[attr-defined]
    assert reader.report.counts[NoteKind.EMPTY] == 1
    [note] = reader.report.notes
    assert (note.kind, note.where) == (NoteKind.EMPTY, str(wrong))
    assert "no visit.json" in note.message


def test_report_summary_of_an_empty_folder_says_so_in_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "inbox"
    empty.mkdir()
    result = invoke("report", "summary", str(empty), "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"fieldkit: empty: {empty}: no visit.json in this folder or its subfolders"
    )
    sources = json_payload(result.stdout, "fieldkit.report-summary/1")["sources"]
    assert sources["counts"]["empty"] == 1
