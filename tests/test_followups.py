"""Follow-ups of every checklist kind: stable ids, closures as their own records, listing."""

from __future__ import annotations

import json
import os
import stat
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_runner import invoke, json_payload
from followups_support import customer_visit, inspection, item, team
from hypothesis import given
from hypothesis import strategies as st
from test_report_helpers import TODAY, at, write

from fieldkit.followups.closures import (
    CLOSURES_DIR,
    Closure,
    ClosureUnreadable,
    closure_path,
    parse_closure,
    read_closure_file,
)
from fieldkit.followups.items import followup_items, parse_item_ref
from fieldkit.followups.service import close_item, list_followups
from fieldkit.records.models import StepAnswer
from fieldkit.records.sources import NoteKind
from fieldkit.records.store import RecordStore

AFTER = datetime(2024, 6, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture
def records(tmp_path: Path) -> Path:
    root = tmp_path / "records"
    team(root)
    return root


def ids_and_status(root: Path, **options: object) -> dict[str, str]:
    listing = list_followups([root], today=TODAY, **options)  # type: ignore[arg-type]
    return {entry.item_id.split("-", 1)[1]: entry.status for entry in listing.items}


def test_every_kind_and_status_lists_its_followups_with_ids(tmp_path: Path) -> None:
    root = tmp_path / "records"
    made = team(root)
    listing = list_followups([root], today=TODAY)
    assert listing.sources.counts == {}
    by_id = {entry.item_id: entry for entry in listing.items}
    inspection_id = made["inspection"].visit_id
    assert set(by_id) == {
        f"{inspection_id}#problems_found-1",
        f"{inspection_id}#problems_found-2",
        f"{made['repair'].visit_id}#actions_needed-1",
        f"{made['visit'].visit_id}#problems_raised-1",
        f"{made['aborted'].visit_id}#problems_found-1",
        f"{made['in_progress'].visit_id}#problems_found-1",
    }
    ups = by_id[f"{inspection_id}#problems_found-1"]
    assert (ups.kind, ups.problem, ups.owner, ups.status) == ("inspection", "UPS 电池鼓包", "张三",
                                                              "overdue")
    # Overdue first (by due date), then open: what a supervisor must chase comes first.
    assert [entry.status for entry in listing.items] == ["overdue"] * 3 + ["open"] * 3
    assert [entry.due for entry in listing.items][:3] == [
        date(2024, 5, 10), date(2024, 5, 15), date(2024, 5, 20)
    ]


def test_ids_are_the_same_on_every_read_and_for_records_written_before_ids(
    records: Path,
) -> None:
    first = [entry.item_id for entry in list_followups([records], today=TODAY).items]
    again = [entry.item_id for entry in list_followups([records], today=TODAY).items]
    assert first == again
    # Nothing in visit.json names an item: the id comes from the visit, step and position.
    for path in records.glob("*/visit.json"):
        assert "#problems" not in path.read_text(encoding="utf-8")


@given(
    steps=st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True), min_size=1,
                   max_size=4, unique=True),
    counts=st.lists(st.integers(min_value=0, max_value=6), min_size=4, max_size=4),
)
def test_ids_are_unique_and_read_back_from_what_people_type(
    steps: list[str], counts: list[int]
) -> None:
    answers = [
        StepAnswer(step_id=step, step_type="followups", answered_at=AFTER,
                   value=[item(f"p{n}", "2024-06-01") for n in range(count)])
        for step, count in zip(steps, counts[: len(steps)], strict=True)
    ]
    record = customer_visit(at(3), []).model_copy(update={"answers": answers})
    items = followup_items(record, TODAY)
    assert len(items) == sum(counts[: len(steps)])
    assert len({entry.item_id for entry in items}) == len(items)
    for entry in items:
        ref = parse_item_ref(entry.item_id)
        assert (ref.visit, ref.step_id, ref.number) == (record.visit_id, entry.step_id,
                                                        entry.number)
        assert entry.problem == f"p{entry.number - 1}"
        # The random end of the visit id is enough to type.
        short = parse_item_ref(entry.item_id[-(len(entry.item_id) - 17):].lower())
        assert short.visit == record.visit_id[17:]


def test_closing_writes_a_sealed_private_file_and_leaves_the_visit_unchanged(
    records: Path,
) -> None:
    store = RecordStore(records)
    visit_id = next(e.visit_id for e in list_followups([records], today=TODAY).items
                    if e.kind == "inspection" and e.visit_status == "completed")
    record_file = records / visit_id / "visit.json"
    before = record_file.read_bytes()
    closure = close_item(store, f"{visit_id[-4:]}#problems_found-1", "  换了新电池  ",
                         closed_by="李工", now=AFTER)
    assert record_file.read_bytes() == before
    path = closure_path(records, closure.item_id)
    assert path.parent.name == CLOSURES_DIR
    if os.name != "nt":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = read_closure_file(path)
    assert stored == closure and stored.digest_ok()
    assert (stored.note, stored.closed_by, stored.problem) == ("换了新电池", "李工", "UPS 电池鼓包")
    listed = {e.item_id: e for e in list_followups([records], today=TODAY).items}
    closed = listed[f"{visit_id}#problems_found-1"]
    assert (closed.status, closed.closed_at, closed.closing_note) == ("closed", AFTER, "换了新电池")
    assert not closed.overdue
    assert closed.item_id not in {
        e.item_id for e in list_followups([records], today=TODAY, which="open").items
    }


def test_open_and_overdue_filters(records: Path) -> None:
    everything = list_followups([records], today=TODAY).items
    overdue = list_followups([records], today=TODAY, which="overdue").items
    still_open = list_followups([records], today=TODAY, which="open").items
    assert {e.status for e in overdue} == {"overdue"} and len(overdue) == 3
    assert len(still_open) == len(everything) == 6
    close_item(RecordStore(records), overdue[0].item_id, "done", now=AFTER)
    assert len(list_followups([records], today=TODAY, which="overdue").items) == 2
    assert len(list_followups([records], today=TODAY, which="open").items) == 5


def test_cli_close_then_list_json_and_text(records: Path) -> None:
    visit_id = next(p.parent.name for p in sorted(records.glob("*/visit.json")))
    item_text = f"{visit_id}#problems_found-2"
    closed = invoke("followups", "close", item_text, "--note", "滤网已清洗", "--by", "王工",
                    "--records", str(records))
    assert closed.exit_code == 0, closed.output
    assert f"closed {item_text} at " in closed.stderr
    listed = invoke("followups", "list", "--records", str(records), "--json")
    assert listed.exit_code == 0, listed.output
    data = {entry["id"]: entry for entry in json_payload(listed.stdout, "fieldkit.followups/1")}
    assert data[item_text]["status"] == "closed"
    assert data[item_text]["closing_note"] == "滤网已清洗"
    assert data[item_text]["closed_by"] == "王工"
    assert datetime.fromisoformat(data[item_text]["closed_at"]) <= datetime.now(timezone.utc)
    text = invoke("followups", "list", str(records), "--open", "--lang", "en")
    assert text.exit_code == 0, text.output
    assert item_text not in text.stdout and "UPS 电池鼓包" in text.stdout
    overdue = invoke("followups", "list", str(records), "--overdue", "--lang", "zh")
    header, *rows = overdue.stdout.splitlines()  # piped: tab-separated, statuses as codes
    assert header.split("\t")[:2] == ["id", "status"]
    assert rows and {row.split("\t")[1] for row in rows} == {"overdue"}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("{visit}#problems_found-9", "has no such item"),
        ("{visit}#ups_battery-1", "has no such item"),
        ("NOPE#problems_found-1", "no visit 'NOPE'"),
        ("{visit}-problems_found-1", "is not a follow-up id"),
        ("{in_progress}#problems_found-1", "is in progress"),
    ],
)
def test_closing_an_unknown_item_is_one_line_exit_2(
    tmp_path: Path, typed: str, message: str
) -> None:
    made = team(tmp_path)
    text = typed.format(visit=made["inspection"].visit_id,
                        in_progress=made["in_progress"].visit_id)
    result = invoke("followups", "close", text, "--note", "x1", "--records", str(tmp_path))
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / CLOSURES_DIR).exists()


def test_closing_twice_is_refused_and_the_first_closure_kept(records: Path) -> None:
    entry = list_followups([records], today=TODAY).items[0]
    first = close_item(RecordStore(records), entry.item_id, "first", now=AFTER)
    result = invoke("followups", "close", entry.item_id, "--note", "second",
                    "--records", str(records))
    assert result.exit_code == 2
    assert result.stderr == f"fieldkit: error: {entry.item_id} was already closed at " \
                            f"{AFTER.isoformat(timespec='seconds')}\n"
    assert read_closure_file(closure_path(records, entry.item_id)) == first


@pytest.mark.parametrize("note", ["", "   ", "\u200b\u200b", "x\x00y", "\udcff\udcfe"])
def test_a_note_that_says_nothing_or_cannot_be_stored_is_refused(
    records: Path, note: str
) -> None:
    entry = list_followups([records], today=TODAY).items[0]
    with pytest.raises(Exception) as raised:
        close_item(RecordStore(records), entry.item_id, note, now=AFTER)
    assert type(raised.value).__name__ == "UserInputError"
    assert "--note" in str(raised.value)
    assert not closure_path(records, entry.item_id).exists()


def test_a_clock_before_the_visit_ended_is_refused(records: Path) -> None:
    entry = list_followups([records], today=TODAY).items[0]
    with pytest.raises(Exception, match="clock"):
        close_item(RecordStore(records), entry.item_id, "done", now=at(1))


def _valid_closure_bytes(records: Path) -> tuple[str, bytes]:
    entry = list_followups([records], today=TODAY).items[0]
    closure = close_item(RecordStore(records), entry.item_id, "done", now=AFTER)
    path = closure_path(records, closure.item_id)
    data = path.read_bytes()
    path.unlink()
    return closure.item_id, data


CORRUPT = {
    "broken.json": b'{"format": "fieldkit-closure", "item_id": ',
    "deep.json": b"[" * 60_000 + b"]" * 60_000,
    "huge_int.json": b'{"format": "fieldkit-closure", "number": ' + b"9" * 5000 + b"}",
    "not_utf8.json": '{"note": "关闭"}'.encode("gbk"),
    "list.json": b"[1, 2]",
    "nan.json": b'{"format": "fieldkit-closure", "number": NaN}',
    "big.json": b" " * (70 * 1024) + b"{}",
}


def test_corrupt_closures_are_skipped_and_named_never_a_traceback(records: Path) -> None:
    item, data = _valid_closure_bytes(records)
    folder = records / CLOSURES_DIR
    for name, content in CORRUPT.items():
        (folder / name).write_bytes(content)
    content = json.loads(data)
    (folder / "surrogate.json").write_text(
        json.dumps({**content, "note": "\ud800"}), encoding="utf-8"
    )
    (folder / "edited.json").write_text(json.dumps({**content, "note": "edited"}),
                                        encoding="utf-8")
    (folder / "far_year.json").write_text(
        json.dumps({**content, "closed_at": "0001-01-01T00:00:00+08:00"}), encoding="utf-8"
    )
    secret = records.parent / "secret.json"
    secret.write_bytes(data)
    if os.name != "nt":
        (folder / "link.json").symlink_to(secret)
        os.mkfifo(folder / "fifo.json")
    listing = list_followups([records], today=TODAY)
    named = {Path(note.where).name: note.message for note in listing.sources.notes}
    assert listing.sources.counts[NoteKind.INVALID] == len(named)
    expected = set(CORRUPT) | {"surrogate.json", "edited.json", "far_year.json"}
    if os.name != "nt":
        expected |= {"link.json", "fifo.json"}
    assert set(named) == expected
    assert "digest" in named["edited.json"]
    assert "larger than" in named["big.json"]
    # The valid closure was removed and the broken ones count for nothing: the item is open.
    assert {e.item_id: e.status for e in listing.items}[item] != "closed"
    result = invoke("followups", "list", str(records))
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "fifo.json" in result.stderr or os.name == "nt"


def test_a_broken_closure_file_does_not_block_closing_again(records: Path) -> None:
    item, _ = _valid_closure_bytes(records)
    closure_path(records, item).write_bytes(b"{half")
    closure = close_item(RecordStore(records), item, "done again", now=AFTER)
    assert read_closure_file(closure_path(records, item)) == closure


def test_no_records_folder_yet_lists_nothing(tmp_path: Path) -> None:
    result = invoke("followups", "list", "--records", str(tmp_path / "none"), "--json")
    assert result.exit_code == 0
    assert json_payload(result.stdout, "fieldkit.followups/1") == []


def test_closure_model_refuses_an_id_that_disagrees_with_its_parts(records: Path) -> None:
    _, data = _valid_closure_bytes(records)
    content = json.loads(data)
    content["number"] = content["number"] + 1
    with pytest.raises(ValueError, match="item_id does not match"):
        Closure.model_validate(content)


def test_a_changed_visit_record_cannot_be_closed(tmp_path: Path) -> None:
    record = inspection(at(6), [item("UPS 电池鼓包", "2024-05-10")])
    content = record.model_dump(mode="json")
    content["customer"] = "改过的"
    write(tmp_path, record, json.dumps(content, ensure_ascii=False).encode())
    result = invoke("followups", "close", f"{record.visit_id}#problems_found-1", "--note", "x",
                    "--records", str(tmp_path))
    assert result.exit_code == 2 and "digest" in result.stderr


@given(st.binary(max_size=3000))
def test_any_bytes_are_a_closure_or_one_clear_error(data: bytes) -> None:
    try:
        parse_closure(data, "closures/x.json")
    except ClosureUnreadable as error:
        assert str(error).startswith("closures/x.json") and "\n" not in str(error)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=10,
)


@given(field=st.sampled_from(sorted(Closure.model_fields)), value=_JSON_VALUES)
def test_a_closure_with_any_field_changed_is_refused_with_one_line(
    field: str, value: object
) -> None:
    """Whatever one field holds, a changed closure never counts: its digest no longer matches
    (or the field is refused first), and reading it is one line, never a traceback."""
    content = json.loads(_SAMPLE_CLOSURE.model_dump_json())
    if content.get(field) == value:
        return
    content[field] = value
    data = json.dumps(content, ensure_ascii=False).encode("utf-8", "surrogatepass")
    with pytest.raises(ClosureUnreadable) as raised:
        parse_closure(data, "x.json")
    assert "\n" not in str(raised.value)


_SAMPLE_CLOSURE = Closure(
    item_id="20240512T083012Z-K3M9Q2XAB7#problems_found-2",
    visit_id="20240512T083012Z-K3M9Q2XAB7",
    step_id="problems_found",
    number=2,
    problem="UPS 电池鼓包",
    closed_at=AFTER,
    closed_by="李工",
    note="换了新电池",
    fieldkit_version="0.1.0",
).sealed()


def test_the_sample_closure_reads_back() -> None:
    data = _SAMPLE_CLOSURE.model_dump_json().encode("utf-8")
    assert parse_closure(data, "x.json") == _SAMPLE_CLOSURE


@pytest.mark.skipif(os.name == "nt", reason="resource limits")
def test_reading_closures_is_bounded_in_memory_and_time(records: Path) -> None:
    """A sparse 8 GB closure and 150 nested 40,000 deep: `followups list` reads within 1 GB of
    address space and a minute of CPU, names them, and lists the items."""
    import resource
    import subprocess
    import sys

    folder = records / CLOSURES_DIR
    folder.mkdir()
    with (folder / "sparse.json").open("wb") as handle:
        handle.truncate(8 * 1024**3)
    for number in range(150):
        (folder / f"junk{number}.json").write_bytes(b"[" * 40_000)

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))
        resource.setrlimit(resource.RLIMIT_CPU, (60, 60))

    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "followups", "list", str(records), "--json"],
        capture_output=True, text=True, preexec_fn=limits, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(json_payload(done.stdout, "fieldkit.followups/1")) == 6
    assert "sparse.json: cannot read: larger than" in done.stderr
    assert "notes: 151 invalid" in done.stderr
