"""Closures travel in `visits bundle` zips and are read back from them."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from cli_runner import invoke, json_payload
from followups_support import team
from test_report_helpers import TODAY

from fieldkit.bundle import write_bundle
from fieldkit.followups.closures import CLOSURES_DIR, closure_path
from fieldkit.followups.service import close_item, list_followups
from fieldkit.records.loading import MANIFEST_FILE
from fieldkit.records.sources import NoteKind
from fieldkit.records.store import RecordStore
from fieldkit.report.pipeline import ReportOptions, summarize

CHINA = timezone(timedelta(hours=8))
CLOSED = datetime(2024, 5, 30, 16, 45, tzinfo=CHINA)


def statuses(sources: list[Path]) -> dict[str, str]:
    return {item.item_id: item.status for item in list_followups(sources, today=TODAY).items}


def test_a_bundle_carries_the_closures_as_stored_and_reports_read_them(tmp_path: Path) -> None:
    root = tmp_path / "records"
    made = team(root)
    store = RecordStore(root)
    ups = f"{made['inspection'].visit_id}#problems_found-1"
    aborted = f"{made['aborted'].visit_id}#problems_found-1"
    close_item(store, ups, "换了新电池", now=CLOSED)
    close_item(store, aborted, "门锁已换", now=CLOSED)
    output = tmp_path / "bundle.zip"
    result = write_bundle(store, output)
    assert sorted(result.closed_items) == sorted([ups, aborted])
    with zipfile.ZipFile(output) as bundle:
        manifest = json.loads(bundle.read(MANIFEST_FILE))
        for entry in manifest["closures"]:
            data = bundle.read(entry["path"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert data == closure_path(root, entry["item_id"]).read_bytes()
    # The aborted visit is not in the bundle (only completed ones are); its closure is.
    assert made["aborted"].visit_id not in result.visit_ids
    from_bundle = statuses([output])
    assert from_bundle[ups] == "closed"
    summary = summarize(ReportOptions(sources=[output], today=TODAY)).summary
    assert summary.followups_closed == 1  # the aborted visit's item is not in this bundle
    assert summary.followups_recently_closed[0].closing_note == "换了新电池"


def test_a_later_bundle_of_closures_alone_closes_items_of_an_earlier_one(
    tmp_path: Path,
) -> None:
    root = tmp_path / "records"
    made = team(root)
    store = RecordStore(root)
    first = tmp_path / "may.zip"
    write_bundle(store, first)
    item = f"{made['repair'].visit_id}#actions_needed-1"
    assert statuses([first])[item] == "open"
    close_item(store, item, "尾纤已更换")  # now: after every visit of the team
    second = tmp_path / "today.zip"
    result = invoke("visits", "bundle", "-o", str(second), "--since", date.today().isoformat(),
                    "--records", str(root))
    assert result.exit_code == 0, result.output
    assert "0 completed visits, 1 follow-up closures" in result.stderr
    assert statuses([first, second])[item] == "closed"
    cli = invoke("followups", "list", str(first), str(second), "--json")
    listed = json_payload(cli.stdout, "fieldkit.followups/1")
    closed = {entry["id"]: entry for entry in listed}[item]
    assert (closed["status"], closed["closing_note"]) == ("closed", "尾纤已更换")


def test_since_leaves_out_older_closures_and_a_broken_one_is_named(tmp_path: Path) -> None:
    root = tmp_path / "records"
    made = team(root)
    store = RecordStore(root)
    close_item(store, f"{made['repair'].visit_id}#actions_needed-1", "old", now=CLOSED)
    recent = close_item(store, f"{made['visit'].visit_id}#problems_raised-1", "recent")
    (root / CLOSURES_DIR / "torn.json").write_bytes(b'{"format": "fieldkit-clos')
    result = write_bundle(store, tmp_path / "b.zip", since=date(2024, 5, 31))
    assert (result.visit_ids, result.closed_items) == ([], [recent.item_id])
    problems = dict(result.problems)
    assert problems[str(root / CLOSURES_DIR / "torn.json")].startswith("left out: ")
    with zipfile.ZipFile(tmp_path / "b.zip") as bundle:
        closures = [name for name in bundle.namelist() if name.startswith(CLOSURES_DIR)]
    assert closures == [f"{CLOSURES_DIR}/{closure_path(root, recent.item_id).name}"]


def test_hostile_closure_entries_in_a_bundle_are_named_never_a_traceback(tmp_path: Path) -> None:
    root = tmp_path / "records"
    made = team(root)
    store = RecordStore(root)
    item = f"{made['inspection'].visit_id}#problems_found-1"
    close_item(store, item, "done", now=CLOSED)
    output = tmp_path / "b.zip"
    write_bundle(store, output)
    with zipfile.ZipFile(output, "a") as bundle:
        bundle.writestr(f"{CLOSURES_DIR}/deep.json", b"[" * 50_000)
        bundle.writestr(f"{CLOSURES_DIR}/huge.json", b" " * (1024 * 1024) + b"{}")
        bundle.writestr(f"{CLOSURES_DIR}/surrogate.json", b'{"format": "fieldkit-closure", '
                                                          b'"note": "\\ud800"}')
    listing = list_followups([output], today=TODAY)
    named = {note.where.rsplit("/", 1)[-1]: note.message for note in listing.sources.notes
             if note.kind is NoteKind.INVALID}
    assert set(named) == {"deep.json", "huge.json", "surrogate.json"}
    assert {e.item_id: e.status for e in listing.items}[item] == "closed"
    cli = invoke("report", "summary", str(output))
    assert cli.exit_code == 0 and "Traceback" not in cli.output and "deep.json" in cli.stderr
