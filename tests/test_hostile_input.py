"""Issue 8, "No input breaks it": each case as it was reproduced, and the rule of its class.

Each hostile input ends in a one-line error naming the file (exit 2), or in the one bad record
being skipped and named while the report goes on; nothing written for others may replace a
record or a device.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from cli_runner import invoke, json_payload
from records_factory import CHINA, completed, fields, snapshot

from fieldkit.bundle import write_bundle
from fieldkit.errors import UserInputError
from fieldkit.records.loading import RecordUnreadable, read_record_file
from fieldkit.records.lock import LOCK_FILE, VisitLocked, _pid_alive
from fieldkit.records.store import RecordStore
from fieldkit.records.stored_attachments import MAX_ATTACHMENT_BYTES

START = datetime(2024, 5, 12, 9, 30, tzinfo=CHINA)
BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def _completed_visit(root: Path, attach: Path | None = None, customer: str = "深圳某银行") -> str:
    store = RecordStore(root, clock=lambda: START)
    with store.create(fields(customer), snapshot()) as handle:
        record = completed(handle.record, START)
        if attach is not None:
            steps = list(record.answers)
            steps[1] = steps[1].model_copy(update={"attachments": [handle.attach(attach)]})
            record = record.model_copy(update={"answers": steps})
        handle.save(record)
        return handle.visit_id


def _crafted(good: str, target: Path, kind: str) -> None:
    """A copy of a good record (its text) made hostile in one of the ways issue 8 lists."""
    if kind == "deep":
        text = good.rstrip()[:-1] + ', "extra": ' + "[" * 3000 + "]" * 3000 + "}"
    elif kind == "huge number":
        text = good.rstrip()[:-1] + ', "extra": ' + "9" * 5000 + "}"
    elif kind == "surrogate":
        text = good.replace('"customer": "', '"customer": "\\ud800', 1)
    else:  # NaN in a completed record
        raw = json.loads(good)
        raw["answers"][0]["value"] = float("nan")
        text = json.dumps(raw)
    target.parent.mkdir(parents=True)
    target.write_text(text, "utf-8")


CRAFTED = ["deep", "huge number", "surrogate", "NaN"]


@pytest.mark.parametrize("kind", CRAFTED)
def test_one_crafted_record_is_skipped_and_named_by_every_reader(
    tmp_path: Path, kind: str
) -> None:
    root = tmp_path / "records"
    for number in range(3):
        _completed_visit(root, customer=f"客户{number}")
    bad = "20240512T013000Z-AAAAAAAAAA"
    _crafted(next(root.glob("*/visit.json")).read_text("utf-8"), root / bad / "visit.json", kind)
    env = {"FIELDKIT_RECORDS": str(root)}

    listed = invoke("visits", "list", "--json", env=env)
    assert listed.exit_code == 0 and bad in listed.stderr and "Traceback" not in listed.stderr
    assert len(json_payload(listed.stdout, "fieldkit.visits/1")) == 3
    summary = invoke("report", "summary", str(root), "--json", env=env)
    assert summary.exit_code == 0, summary.stderr
    assert f"invalid: {root / bad / 'visit.json'}" in summary.stderr
    exported = invoke("report", "export", str(root), "-f", "csv", "-o", str(tmp_path / "r.csv"))
    assert exported.exit_code == 0 and bad in exported.stderr
    bundled = invoke("visits", "bundle", "-o", str(tmp_path / "b.zip"), env=env)
    assert bundled.exit_code == 0 and f"{bad}: left out" in bundled.stderr


@pytest.mark.parametrize("kind", CRAFTED)
def test_one_crafted_record_among_600_does_not_stop_a_report(tmp_path: Path, kind: str) -> None:
    made = tmp_path / "collected"
    subprocess.run(
        [sys.executable, str(BENCHMARKS / "make_records.py"), "600", str(made), "--seed", "3"],
        check=True, capture_output=True,
    )
    bad = made / "crafted" / "20240512T013000Z-AAAAAAAAAA" / "visit.json"
    _crafted(next(made.glob("*/*/visit.json")).read_text("utf-8"), bad, kind)
    summary = invoke("report", "summary", str(made), "--json")
    assert summary.exit_code == 0, summary.stderr
    figures = json_payload(summary.stdout, "fieldkit.report-summary/1")["summary"]
    assert figures["totals"]["visits"] > 500
    assert f"invalid: {bad}" in summary.stderr
    exported = invoke("report", "export", str(made), "-f", "xlsx", "-o", str(tmp_path / "r.xlsx"))
    assert exported.exit_code == 0 and f"invalid: {bad}" in exported.stderr


def test_a_fifo_named_visit_json_is_named_not_waited_on(tmp_path: Path) -> None:
    root = tmp_path / "records"
    _completed_visit(root)
    fifo = root / "20240512T013000Z-AAAAAAAAAA" / "visit.json"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    env = {"FIELDKIT_RECORDS": str(root)}
    for args in (
        ("visits", "list"),
        ("report", "summary", str(root)),
        ("visits", "bundle", "-o", str(tmp_path / "b.zip")),
    ):
        result = invoke(*args, env=env)
        assert result.exit_code == 0, result.output
        assert "FIFO" in result.stderr and str(fifo.parent.name) in result.stderr


# -- output paths -------------------------------------------------------------------------------


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "records"
    photo = tmp_path / "odf.jpg"
    photo.write_bytes(b"\xff\xd8 photo")
    _completed_visit(root, attach=photo)
    monkeypatch.setenv("FIELDKIT_RECORDS", str(root))
    return root


def _outputs(records: Path) -> list[tuple[str, ...]]:
    visit_id = RecordStore(records).visit_ids()[0]
    return [
        ("report", "export", str(records), "-f", "csv"),
        ("report", "export", str(records), "-f", "html"),
        ("visits", "show", visit_id, "-f", "md"),
        ("visits", "show", visit_id, "-f", "text"),
        ("visits", "bundle"),
    ]


def test_no_output_command_replaces_a_record_a_journal_or_an_attachment(
    records: Path, tmp_path: Path
) -> None:
    folder = next(records.iterdir())
    (folder / "visit.journal").write_bytes(b"")
    elsewhere = tmp_path / "copy"  # a record folder that is no known records folder
    elsewhere.mkdir()
    (elsewhere / "visit.json").write_bytes((folder / "visit.json").read_bytes())
    targets = [
        folder / "visit.json",
        folder / "visit.journal",
        folder / "attachments" / "odf.jpg",
        folder / "new-file.html",
        elsewhere / "visit.json",
        elsewhere / "report.csv",
    ]
    before = {target: target.read_bytes() for target in targets if target.exists()}
    for command in _outputs(records):
        for target in targets:
            result = invoke(*command, "-o", str(target))
            assert result.exit_code == 2, (command, target, result.output)
            assert result.stderr.count("\n") == 1 and "write elsewhere" in result.stderr
    assert {target: target.read_bytes() for target in before} == before
    assert not (folder / "new-file.html").exists() and not (elsewhere / "report.csv").exists()


def test_no_output_command_replaces_a_device(records: Path) -> None:
    for command in _outputs(records):
        result = invoke(*command, "-o", os.devnull)
        assert result.exit_code == 2
        expected = f"fieldkit: error: -o {os.devnull}: is a device; give a regular file\n"
        assert result.stderr == expected
        assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_an_output_in_a_missing_folder_is_refused_and_no_folder_is_made(
    records: Path, tmp_path: Path
) -> None:
    """A mistyped folder, or a USB stick that is not mounted, must not get a look-alike folder
    on the laptop's disk with the visits in it."""
    missing = tmp_path / "media" / "usb"
    for command in _outputs(records):
        output = missing / "visits.zip"
        result = invoke(*command, "-o", str(output))
        assert result.exit_code == 2, (command, result.output)
        expected = f"fieldkit: error: -o {output}: the folder {missing} does not exist\n"
        assert result.stderr == expected, command
        assert not (tmp_path / "media").exists(), command


def test_a_report_source_folder_is_not_written_into(records: Path, tmp_path: Path) -> None:
    source = tmp_path / "collected"
    source.mkdir()
    result = invoke("report", "export", str(source), str(records), "-f", "csv",
                    "-o", str(source / "report.csv"))
    assert result.exit_code == 2 and "is inside" in result.stderr


def test_files_written_for_others_are_private(records: Path, tmp_path: Path) -> None:
    for number, command in enumerate(_outputs(records)):
        output = tmp_path / f"out-{number}"
        result = invoke(*command, "-o", str(output))
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(output.stat().st_mode) == 0o600, command


# -- attachments --------------------------------------------------------------------------------


def test_attach_refuses_a_link_a_device_and_a_fifo(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    link = tmp_path / "photo.jpg"
    link.symlink_to(secret)
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    store = RecordStore(tmp_path / "records", clock=lambda: START)
    with store.create(fields(), snapshot()) as handle:
        for source, reason in (
            (link, "a symbolic link"),
            (Path("/dev/zero"), "a device"),
            (fifo, "a FIFO"),
        ):
            with pytest.raises(UserInputError, match=f"cannot attach {source}: .*{reason}"):
                handle.attach(source)
        assert not (handle.folder / "attachments").exists()


def test_attach_refuses_a_file_over_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as file:
        file.truncate(MAX_ATTACHMENT_BYTES + 1)  # sparse
    store = RecordStore(tmp_path / "records", clock=lambda: START)
    with store.create(fields(), snapshot()) as handle, pytest.raises(
        UserInputError, match="larger than"
    ):
        handle.attach(big)


@pytest.mark.parametrize("swap", ["secret", "/dev/zero", "folder"])
def test_bundle_never_reads_an_attachment_through_a_link(
    tmp_path: Path, swap: str
) -> None:
    photo = tmp_path / "odf.jpg"
    photo.write_bytes(b"\xff\xd8 photo")
    root = tmp_path / "records"
    visit_id = _completed_visit(root, attach=photo)
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2")
    attached = root / visit_id / "attachments" / "odf.jpg"
    if swap == "folder":  # the attachments folder itself replaced by a link
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        (elsewhere / "odf.jpg").write_text("password=hunter2")
        (root / visit_id / "attachments").rename(tmp_path / "moved")
        (root / visit_id / "attachments").symlink_to(elsewhere)
    else:
        attached.unlink()
        attached.symlink_to(secret if swap == "secret" else swap)
    result = write_bundle(RecordStore(root), tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as bundle:
        assert all(b"hunter2" not in bundle.read(name) for name in bundle.namelist())
        assert [name for name in bundle.namelist() if "attachments" in name] == []
    assert any("attachment not bundled" in problem for _, problem in result.problems)


# -- locks and journals -------------------------------------------------------------------------


@pytest.mark.parametrize("pid", [2**31, 2**63, -1, 0])
def test_a_lock_with_an_impossible_pid_is_stale(tmp_path: Path, pid: int) -> None:
    store = RecordStore(tmp_path, clock=lambda: START)
    with store.create(fields(), snapshot()) as handle:
        visit_id = handle.visit_id
    lock = tmp_path / visit_id / LOCK_FILE
    lock.write_text(json.dumps({"pid": pid, "host": os.uname().nodename}))
    assert not _pid_alive(pid)
    with store.open(visit_id) as handle:  # taken over, not a traceback
        assert handle.record.visit_id == visit_id


def test_a_lock_file_that_is_a_fifo_or_deeply_nested_does_not_hang_or_crash(
    tmp_path: Path,
) -> None:
    store = RecordStore(tmp_path, clock=lambda: START)
    with store.create(fields(), snapshot()) as handle:
        visit_id = handle.visit_id
    lock = tmp_path / visit_id / LOCK_FILE
    lock.write_text("[" * 3000 + "]" * 3000)
    with pytest.raises(VisitLocked):  # unreadable and fresh: held, for a grace period
        store.open(visit_id)
    lock.unlink()
    os.mkfifo(lock)
    with pytest.raises(VisitLocked):
        store.open(visit_id)


def test_a_journal_line_naming_another_visit_is_a_clear_error(tmp_path: Path) -> None:
    store = RecordStore(tmp_path, clock=lambda: START)
    with store.create(fields(), snapshot()) as handle:
        handle.save(handle.record.model_copy(update={"site": "新地址"}))
        visit_id = handle.visit_id
    journal = tmp_path / visit_id / "visit.journal"
    lines = journal.read_bytes().split(b"\n")
    entry = json.loads(lines[1])
    entry["fields"]["visit_id"] = "20240101T000000Z-0000000000"
    journal.write_bytes(lines[0] + b"\n" + json.dumps(entry).encode() + b"\n")
    with pytest.raises(RecordUnreadable, match=rf"{journal}:2: changes visit_id"):
        read_record_file(tmp_path / visit_id / "visit.json")
    result = invoke("resume", visit_id, env={"FIELDKIT_RECORDS": str(tmp_path)})
    assert result.exit_code == 2 and result.stderr.startswith(f"fieldkit: error: {journal}:2:")


def test_a_journal_answer_index_in_unicode_digits_is_a_torn_line(tmp_path: Path) -> None:
    store = RecordStore(tmp_path, clock=lambda: START)
    with store.create(fields(), snapshot()) as handle:
        handle.save(handle.record.model_copy(update={"site": "新地址"}))
        visit_id = handle.visit_id
    journal = tmp_path / visit_id / "visit.journal"
    header = journal.read_bytes().split(b"\n")[0]
    for index in ("²", "9" * 5000):
        entry = {"seq": 1, "fields": {"site": "x"}, "answers_len": 1, "answers": {index: {}}}
        journal.write_bytes(header + b"\n" + json.dumps(entry).encode() + b"\n")
        assert read_record_file(tmp_path / visit_id / "visit.json").site == fields().site


# -- YAML and JSON files (answers files, checklists, config) ------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("a.yaml", "customer: " + "9" * 5000 + "\n", "a.yaml:1:11: a number of 5000 digits"),
        ("a.yaml", 'customer: "C\\ud800"\n', "a.yaml:1:11: a lone surrogate"),
        ("a.json", '{"customer": "C\\ud800"}', "a.json:1:1: a lone surrogate"),
        ("a.json", '{"customer": ' + "9" * 5000 + "}", "a.json:1:1: Exceeds the limit"),
        ("a.json", "[" * 3000 + "]" * 3000, "a.json:1:1: nesting is too deep"),
    ],
)
def test_an_answers_file_with_hostile_values_is_one_line_naming_it(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    (tmp_path / name).write_text(content, "utf-8")
    result = invoke(
        "run", "lan-turnup", "--answers", str(tmp_path / name),
        env={"FIELDKIT_RECORDS": str(tmp_path / "records")},
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(str(tmp_path / problem)) and result.stderr.count("\n") == 1
    assert not (tmp_path / "records").exists()


def test_an_answers_file_that_is_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "answers.yaml")
    result = invoke("run", "lan-turnup", "--answers", str(tmp_path / "answers.yaml"))
    assert result.exit_code == 2 and "answers.yaml:1:1: cannot read: not a regular file" in (
        result.stderr
    )


# -- formula injection --------------------------------------------------------------------------

# Tab and CR cannot start a name (a control character is refused there); they are covered by
# test_which_text_runs_as_a_formula.
INJECTIONS = ['=HYPERLINK("http://evil.example","Click")', "@SUM(A1:A9)", "+1+1", "-2+3"]


def _injected_records(root: Path) -> None:
    for number, text in enumerate(INJECTIONS):
        store = RecordStore(root, clock=lambda: START)
        visit = fields(text).model_copy(update={"engineer": INJECTIONS[number - 1]})
        with store.create(visit, snapshot()) as handle:
            handle.save(completed(handle.record, START))


def test_csv_cells_that_would_run_as_formulas_are_text(tmp_path: Path) -> None:
    import csv

    _injected_records(tmp_path / "records")
    output = tmp_path / "r.csv"
    result = invoke("report", "export", str(tmp_path / "records"), "-f", "csv", "-o", str(output))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(output.open(encoding="utf-8-sig", newline="")))
    assert sorted(row["customer"] for row in rows) == sorted("'" + text for text in INJECTIONS)
    assert sorted(row["engineer"] for row in rows) == sorted("'" + text for text in INJECTIONS)
    number_columns = [name for name, value in rows[0].items() if value.lstrip("-").isdigit()]
    assert number_columns  # real numbers stay numbers, unquoted
    assert all(not row[name].startswith("'") for row in rows for name in number_columns)


def test_xlsx_cells_that_would_run_as_formulas_are_quoted_text(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    _injected_records(tmp_path / "records")
    output = tmp_path / "r.xlsx"
    result = invoke("report", "export", str(tmp_path / "records"), "-f", "xlsx", "-o", str(output))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(output)["Visits"]
    header = [cell.value for cell in sheet[1]]
    customers = [row[header.index("customer")] for row in sheet.iter_rows(min_row=2)]
    assert sorted(cell.value for cell in customers) == sorted(INJECTIONS)
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in customers)
    visits = [row[header.index("visit_id")] for row in sheet.iter_rows(min_row=2)]
    assert not any(cell.quotePrefix for cell in visits)
    numbers = [c for row in sheet.iter_rows(min_row=2) for c in row if c.data_type == "n"]
    assert numbers and not any(cell.quotePrefix for cell in numbers)


@pytest.mark.parametrize(
    ("text", "runs"),
    [("=1+1", True), ("+1+1", True), ("-2+3", True), ("@SUM(A1)", True), ("\t=1", True),
     ("\r=1", True), ("-35", False), ("+86", False), ("-3.5", False), ("", False),
     ("深圳某银行", False), ("a=1", False)],
)
def test_which_text_runs_as_a_formula(text: str, runs: bool) -> None:
    from fieldkit.report.formulas import as_inert_text, runs_as_formula

    assert runs_as_formula(text) is runs
    assert as_inert_text(text) == ("'" + text if runs else text)


# -- ping transcripts ---------------------------------------------------------------------------


def test_a_transcript_claiming_10_to_the_8_packets_is_refused_without_allocating(
    tmp_path: Path,
) -> None:
    transcript = tmp_path / "claims.txt"
    transcript.write_text(
        "Pinging 192.168.1.1 with 32 bytes of data:\n"
        "Reply from 192.168.1.1: bytes=32 time=1ms TTL=64\n"
        "    Packets: Sent = 100000000, Received = 1, Lost = 99999999 (99% loss),\n"
    )
    limited = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
        "from fieldkit.__main__ import main; sys.argv = ['fieldkit'] + sys.argv[1:]; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", limited, "ping", "interpret", str(transcript)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "fieldkit: error: the transcript claims 100000000 requests sent and 1 received; "
        "at most 100000 are read\n"
    )


@pytest.mark.parametrize("number", ["9" * 400, "1" * 10])
def test_a_transcript_number_no_ping_prints_is_refused(number: str) -> None:
    from fieldkit.ping import interpret_transcript

    text = f"64 bytes from 10.0.0.1: icmp_seq={number} ttl=64 time=1.0 ms\n"
    with pytest.raises(UserInputError, match=f"a number of {len(number)} digits"):
        interpret_transcript(text)


def test_a_line_longer_than_any_ping_line_is_passed_over_unscanned() -> None:
    from fieldkit.ping.transcript import MAX_LINE_CHARS, TranscriptParser

    parser = TranscriptParser()
    long_reply = "Reply from " + "1" * MAX_LINE_CHARS + ": bytes=32 time=1ms TTL=64"
    assert parser.feed(long_reply) is None and not parser.recognised
    assert parser.feed("Reply from 10.0.0.1: bytes=32 time=1ms TTL=64") is not None


# -- checklist patterns -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    ["^(a+)+$", r"(\d*)*", "(a|aa)+$", r"^(\w+\s?)*$", "(a|a?)+$", "(.*a){12}$", "(a|a)+$",
     "(ab|ab)+$", "(.|x)*"],
)
def test_a_pattern_that_backtracks_exponentially_is_refused(pattern: str) -> None:
    from fieldkit.checklist.regex_safety import backtracking_risk

    assert backtracking_risk(pattern) is not None


@pytest.mark.parametrize(
    "pattern",
    ["[A-Z0-9]+", r"GJ-\d{2}/\d{2}", "(ab|cd)+", r"[A-Z]{2}\d{6,10}",
     "(?:[0-9a-f]{2}:){5}[0-9a-f]{2}", "(a{1,3}){1,3}", r"(?:[A-Z]{2}-)+\d+", r"(\d|1)+$",
     "(?:(?:ab|ad)x)+", ".*", r"SN\d{8}"],
)
def test_the_patterns_serial_numbers_use_are_accepted(pattern: str) -> None:
    from fieldkit.checklist.regex_safety import backtracking_risk

    assert backtracking_risk(pattern) is None


def test_a_serial_answer_longer_than_any_serial_is_refused_before_matching() -> None:
    from fieldkit.checklist.answers import MAX_SERIAL_CHARS, AnswerError, _parse_serial
    from fieldkit.checklist.models import SerialRecord

    step = SerialRecord.model_validate(
        {"id": "sn", "type": "record", "input": "serial", "title": {"zh": "序列号", "en": "SN"},
         "pattern": r"[A-Z]\d*\d*\d*\d*!"}
    )
    with pytest.raises(AnswerError) as refused:
        _parse_serial(step, "A" + "1" * MAX_SERIAL_CHARS)
    assert "too long" in refused.value.reason.en


# -- console encodings --------------------------------------------------------------------------


def _fieldkit_process(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "fieldkit", *args], capture_output=True, timeout=120,
        env={**os.environ, **env}, stdin=subprocess.DEVNULL,
    )


def test_a_walk_into_a_gbk_console_degrades_and_completes(tmp_path: Path) -> None:
    records = tmp_path / "records"
    done = _fieldkit_process(
        "demo", "--records", str(records), "--lang", "zh", env={"PYTHONIOENCODING": "gbk"}
    )
    assert done.returncode == 0, done.stderr.decode("gbk", "replace")
    shown = done.stdout.decode("gbk")  # all of it is GBK text
    assert "✓" not in shown and " OK" in shown and "光" in shown  # what GBK has, it shows
    record = next(records.glob("*/visit.json")).read_text("utf-8")
    assert '"status": "completed"' in record


def test_every_command_runs_on_an_ascii_console(records: Path, tmp_path: Path) -> None:
    visit_id = RecordStore(records).visit_ids()[0]
    transcripts = Path(__file__).parent / "transcripts"
    for args in (
        ("checklists", "list"),
        ("checklists", "show", "lan-turnup"),
        ("visits", "list"),
        ("visits", "show", visit_id),
        ("report", "summary", str(records)),
        ("ping", "interpret", str(transcripts / "windows-zh-ok-utf8.txt")),
        ("demo", "--records", str(tmp_path / "demo")),
    ):
        done = _fieldkit_process(
            *args, env={"PYTHONIOENCODING": "ascii", "FIELDKIT_RECORDS": str(records)}
        )
        assert done.returncode in (0, 1), (args, done.stderr)
        assert b"Traceback" not in done.stderr
        done.stdout.decode("ascii")  # nothing but ASCII reached the console


def test_gbk_bytes_typed_at_a_utf8_prompt_are_refused_and_asked_again(tmp_path: Path) -> None:
    import pexpect

    checklist = tmp_path / "c.yaml"
    checklist.write_text(
        "schema: 1\nid: gbk-walk\nversion: \"1.0\"\nkind: visit\n"
        "title: {zh: 测试, en: Test}\ndescription: {zh: 测试, en: test}\nsteps:\n"
        "  - id: remarks\n    type: record\n    title: {zh: 备注, en: Remarks}\n    input: text\n",
        encoding="utf-8",
    )
    env = {**os.environ, "FIELDKIT_RECORDS": str(tmp_path / "records"), "FIELDKIT_LANG": "en",
           "NO_COLOR": "1", "TERM": "xterm", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    child = pexpect.spawn(
        sys.executable, ["-m", "fieldkit", "run", str(checklist), "--customer", "C",
                         "--engineer", "Li"], env=env, timeout=30,
    )
    while child.expect(["Remarks", r"Enter to leave empty\)"]) == 1:
        child.sendline(b"")  # the visit fields this kind asks for
    child.sendline("李工".encode("gbk"))
    child.expect("not readable text")
    child.sendline(b"note " + "机柜".encode("gbk"))  # a note: not an answer, the same rule
    child.expect("not readable text")
    child.sendline(b"ok")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    record = json.loads(next((tmp_path / "records").glob("*/visit.json")).read_text("utf-8"))
    assert record["answers"][0]["value"] == "ok"


# -- smaller cases ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        ("customer: C\nnote: {skip: [a, b]}\n", "skip: the reason is text, not a list"),
        ('engineer: "\\u200b\\u200b"\ncustomer: C\n', "engineer has no visible character"),
        ('customer: "C\\0"\n', "customer holds a control character"),
        ("customer: C\nnote: {skip: no}\nlevel: 1" + "0" * 400 + "\n", "the number is too large"),
    ],
)
def test_small_hostile_answers_are_one_line_naming_the_file(
    tmp_path: Path, answers: str, problem: str
) -> None:
    checklist = tmp_path / "c.yaml"
    checklist.write_text(
        "schema: 1\nid: small\nversion: \"1.0\"\nkind: visit\n"
        "title: {zh: 测试, en: Test}\ndescription: {zh: 测试, en: test}\nsteps:\n"
        "  - id: note\n    type: record\n    title: {zh: 注, en: Note}\n    input: text\n"
        "    required: false\n"
        "  - id: level\n    type: record\n    title: {zh: 数, en: Level}\n    input: decimal\n",
        encoding="utf-8",
    )
    path = tmp_path / "answers.yaml"
    path.write_text("engineer: Li\n" * ("engineer" not in answers) + answers, "utf-8")
    result = invoke("run", str(checklist), "--answers", str(path),
                    env={"FIELDKIT_RECORDS": str(tmp_path / "records")})
    assert result.exit_code == 2, result.output
    assert str(path) in result.stderr and problem in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_ping_from_an_ipv6_source_to_an_ipv4_target_is_a_bad_option() -> None:
    result = invoke("ping", "127.0.0.1", "--source", "::1", "-c", "1")
    assert result.exit_code == 2
    assert result.stderr == (
        "fieldkit: error: --source ::1 and the target 127.0.0.1 are not both IPv4 or both "
        "IPv6: give a source address of the target's kind\n"
    )


@pytest.mark.parametrize(
    "corrupt",
    ['{"fingerprint": "FP", "files": {"KEY": {"sha256": "SHA", "problems": 5}}}',
     '{"fingerprint": "FP", "files": {"KEY": {"sha256": "SHA", "id": 1}}}',
     '{"fingerprint": "FP", "files": {"KEY": {"sha256": "SHA", "id": "x", "title": [1]}}}',
     "[" * 5000 + "]" * 5000, "\xff\xfe", ""],
)
def test_a_corrupt_checklist_index_cache_is_a_miss(tmp_path: Path, corrupt: str) -> None:
    env = {"FIELDKIT_CACHE": str(tmp_path)}
    assert invoke("checklists", "list", env=env).exit_code == 0
    index = tmp_path / "checklist-index.json"
    stored = json.loads(index.read_text("utf-8"))
    key, summary = next(iter(stored["files"].items()))
    text = corrupt.replace("FP", stored["fingerprint"]).replace("KEY", key)
    index.write_text(text.replace("SHA", summary["sha256"]), "utf-8")
    listed = invoke("checklists", "list", env=env)
    assert listed.exit_code == 0 and "Traceback" not in listed.stderr
    assert listed.stdout == invoke("checklists", "list", env=env).stdout


def test_bundle_since_of_a_year_one_record_is_no_traceback(tmp_path: Path) -> None:
    root = tmp_path / "records"
    visit_id = _completed_visit(root)
    path = root / visit_id / "visit.json"
    raw = json.loads(path.read_text("utf-8"))
    raw["started_at"] = "0001-01-01T00:00:00+08:00"
    path.write_text(json.dumps(raw), "utf-8")
    result = invoke("visits", "bundle", "--since", "2024-01-01", "-o", str(tmp_path / "b.zip"),
                    env={"FIELDKIT_RECORDS": str(root), "TZ": "Asia/Tokyo"})
    assert result.exit_code == 2 and "nothing to bundle" in result.stderr
