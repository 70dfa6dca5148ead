"""The server's summary, computed in SQL over the derived tables, equals the file path's
exactly (the same JSON) on a generated set of records with duplicates, changed records and
closed follow-ups, with and without filters, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import openpyxl
import pytest

pytest.importorskip("fastapi")

from server_support import (
    SUPERVISOR_NORTH,
    TEAM_NORTH,
    TODAY,
    finished_records,
    prepare_database,
    resealed,
    team_of,
    write_laptop_records,
)

from fieldkit.followups.items import followup_items
from fieldkit.followups.service import close_item
from fieldkit.lang import Lang
from fieldkit.records.models import VisitRecord
from fieldkit.records.store import RecordStore
from fieldkit.report.filters import Filters
from fieldkit.report.pipeline import ReportOptions, summarize
from fieldkit.server import db, reports
from fieldkit.server.derived import Derived
from fieldkit.server.ingest import Refused, ingest_closure, ingest_visit
from fieldkit.server.service_levels import Current
from fieldkit.sla import load_sla

LANGS: tuple[Lang, ...] = ("en", "zh")
FILTERS = [
    Filters(),
    Filters.from_options(since="2024-03-01", until="2024-05-31"),
    Filters.from_options(engineers=[" 张伟 ", "zhou min"], kinds=["turnup", "repair"]),
    Filters.from_options(statuses=["aborted"], customer="学校"),
    Filters.from_options(outcomes=["restored", "not_restored"], grades=["province", "group"]),
    Filters.from_options(since="2024-04-01T00:00+08:00", checklists=["lan-turnup"]),
]


def _user(name: str, team: str | None = None, role: str = "engineer") -> db.User:
    return db.User(name, role, team, False)


@pytest.fixture(scope="module")
def laptop_records(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, list[VisitRecord]]:
    """A records folder (the laptop's layout) with closures, and a second source holding
    duplicates of some visits and changed copies of others."""
    root = tmp_path_factory.mktemp("records")
    records = finished_records(400, seed=21)
    write_laptop_records(root / "records", records)
    store = RecordStore(root / "records")
    closed_at = datetime(2024, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    with_items = [r for r in records if followup_items(r, TODAY)]
    for number, record in enumerate(with_items[:25]):
        item = followup_items(record, TODAY)[0]
        close_item(store, item.item_id, f"done {number}", closed_by=record.engineer,
                   now=closed_at + timedelta(hours=number % 7))  # fmt: skip
    extra = root / "extra"
    write_laptop_records(extra, records[:30])  # duplicates
    changed = [resealed(r, customer=r.customer + " (changed)") for r in records[30:45]]
    write_laptop_records(extra, changed)
    broken = records[45]
    (extra / broken.visit_id / "visit.json").parent.mkdir(parents=True, exist_ok=True)
    edited = json.loads((root / "records" / broken.visit_id / "visit.json").read_text())
    edited["customer"] = "edited by hand"
    shutil.rmtree(extra / broken.visit_id)
    (extra / broken.visit_id).mkdir()
    (extra / broken.visit_id / "visit.json").write_text(json.dumps(edited))
    return root / "records", extra, records


def _file_summary(sources: list[Path], filters: Filters, lang: Lang) -> dict[str, Any]:
    options = ReportOptions(sources=sources, filters=filters, lang=lang, today=TODAY,
                            sla=load_sla(), workers=1)  # fmt: skip
    return summarize(options).summary.to_json()


def _push_everything(url: str, records_folder: Path, extra: Path) -> dict[str, str]:
    """Every record and closure of both sources, as their engineers push them; the tokens."""
    tokens = prepare_database(url)
    engine = db.make_engine(url)
    levels = Current(Derived(load_sla()))
    for source in (records_folder, extra):
        for path in sorted(source.glob("*/visit.json")):
            content = json.loads(path.read_text())
            user = _user(content["engineer"], team_of(content["engineer"]))
            try:
                ingest_visit(engine, levels, user, path.parent.name, path.read_bytes())
            except Refused as refusal:
                assert refusal.status in (409, 422), refusal
    for path in sorted((records_folder / "closures").glob("*.json")):
        closer = json.loads(path.read_text())["closed_by"]
        ingest_closure(engine, _user(closer), path.read_bytes())
    engine.dispose()
    return tokens


def test_the_server_summary_equals_the_file_summary(
    database_url: str, laptop_records: tuple[Path, Path, list[VisitRecord]]
) -> None:
    records_folder, extra, _ = laptop_records
    _push_everything(database_url, records_folder, extra)
    engine = db.make_engine(database_url)
    sla = load_sla()
    with engine.connect() as conn:
        for filters in FILTERS:
            for lang in LANGS:
                expected = _file_summary([records_folder, extra], filters, lang)
                got = reports.summary(conn, filters, db.VisitScope(), sla, lang, TODAY).to_json()
                assert got == expected, (filters, lang)
        assert expected["totals"]["visits"] > 0
        team = reports.summary(
            conn, Filters(), db.VisitScope.of(_user(SUPERVISOR_NORTH, "north", "supervisor")),
            sla, "en", TODAY,
        ).to_json()  # fmt: skip
        north = _file_summary([records_folder], Filters.from_options(engineers=TEAM_NORTH), "en")
        assert team == north
    engine.dispose()
    full = _file_summary([records_folder, extra], Filters(), "en")
    assert full["followups_closed"] == 25 and full["repairs"]["completed_repairs"] > 0


def test_report_summary_over_the_server_prints_what_the_files_print(
    database_url: str, tmp_path: Path
) -> None:
    from cli_runner import invoke, json_payload
    from server_support import serving

    records = finished_records(60, seed=22)
    folder = tmp_path / "records"
    write_laptop_records(folder, records)
    tokens = prepare_database(database_url)
    engine = db.make_engine(database_url)
    levels = Current(Derived(load_sla()))
    for record in records:
        path = folder / record.visit_id / "visit.json"
        user = _user(record.engineer, team_of(record.engineer))
        ingest_visit(engine, levels, user, record.visit_id, path.read_bytes())
    engine.dispose()
    env = {"FIELDKIT_CONFIG": str(tmp_path / "config.yaml"), "FIELDKIT_LANG": "en"}
    with serving(database_url) as server:
        for options in ([], ["--kind", "repair", "--since", "2024-02-01"], ["--lang", "zh"]):
            local = invoke("report", "summary", str(folder), *options, env=env)
            assert local.exit_code == 0, local.output
            admin = invoke("report", "summary", "--server", server, "--token", tokens["admin"],
                           "--json", *options, env=env)  # fmt: skip
            files = invoke("report", "summary", str(folder), "--json", *options, env=env)
            schema = "fieldkit.report-summary/1"
            from_server = json_payload(admin.stdout, schema)
            assert from_server["summary"] == json_payload(files.stdout, schema)["summary"]
            mine = invoke("report", "summary", "--server", server, "--token", tokens["admin"],
                          *options, env=env)  # fmt: skip
            assert mine.stdout == local.stdout
        north = invoke("report", "summary", "--server", server, "--token",
                       tokens[SUPERVISOR_NORTH], "--json", env=env)  # fmt: skip
        north_summary = json_payload(north.stdout, "fieldkit.report-summary/1")["summary"]
        engineers = {row["engineer"] for row in north_summary["engineers"]}
        assert engineers and engineers <= set(TEAM_NORTH)
        wrong = invoke("report", "summary", "--server", server, "--token", "fk_x", env=env)
        assert wrong.exit_code == 2
        bad = invoke("report", "summary", "--server", server, "--token", tokens["admin"],
                     "--kind", "nonsense", env=env)  # fmt: skip
        assert bad.exit_code == 2 and "--kind" in bad.stderr
    gone = invoke("report", "summary", "--server", server, "--token", tokens["admin"], env=env)
    assert gone.exit_code == 3


def test_the_html_report_is_the_export_page_for_a_supervisor(
    database_url: str, tmp_path: Path
) -> None:
    from cli_runner import invoke
    from server_support import Server, start_server

    server: Server = start_server(database_url)
    records = [r for r in finished_records(80, seed=23) if r.engineer in TEAM_NORTH]
    folder = tmp_path / "records"
    write_laptop_records(folder, records)
    for record in records:
        assert server.push(record).status_code == 201
    page = server.client.get(
        "/reports", params={"from": "2024-01-01", "to": "2024-06-30", "lang": "en"},
        headers=server.auth(SUPERVISOR_NORTH),
    )  # fmt: skip
    assert page.status_code == 200, page.text
    exported = tmp_path / "report.html"
    made = invoke("report", "export", str(folder), "-f", "html", "-o", str(exported),
                  "--since", "2024-01-01", "--until", "2024-06-30", "--lang", "en",
                  env={"FIELDKIT_CONFIG": str(tmp_path / "c.yaml")})  # fmt: skip
    assert made.exit_code == 0, made.output
    assert page.text == exported.read_text(encoding="utf-8")
    engineer = server.client.get("/reports", headers=server.auth(TEAM_NORTH[0]))
    assert engineer.status_code == 403


# Where each row was read differs by design: a file's path or `server` (the `source` column),
# and what reading the sources noted (the duplicates and changed copies among the files; the
# store holds each visit once, so the server notes none). The rest must be the same.
READ_FROM = "<where it was read>"


def _blank_column(rows: list[list[object]], name: str, server: bool) -> list[list[object]]:
    if not rows or name not in rows[0]:
        return rows
    index = rows[0].index(name)
    blanked = [rows[0]]
    for row in rows[1:]:
        if server:
            assert row[index] == "server", row
        blanked.append([*row[:index], READ_FROM, *row[index + 1 :]])
    return blanked


def _xlsx_content(path: Path, lang: Lang, server: bool) -> dict[str, list[list[object]]]:
    """Every sheet's cell values (not the file's bytes: the zip's member times differ)."""
    from fieldkit.records.sources import NoteKind
    from fieldkit.report.labels import label

    read_labels = {label("kpi_records_read", lang), label("kpi_noted", lang)}
    notes = {kind.value for kind in NoteKind}
    sheets: dict[str, list[list[object]]] = {}
    for sheet in openpyxl.load_workbook(path).worksheets:
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        if sheet.title == "Summary":
            rows = [[row[0], READ_FROM] if row[0] in read_labels else row
                    for row in rows if row[0] not in notes]  # fmt: skip
        sheets[sheet.title] = _blank_column(rows, "source", server)
    return sheets


def _html_content(path: Path, lang: Lang) -> str:
    from fieldkit.report.labels import label

    text = path.read_text(encoding="utf-8")
    read_kept = re.escape(label("records_read_kept", lang)).replace(r"\{read\}", r"\d+")
    text = re.sub(read_kept.replace(r"\{kept\}", r"\d+"), READ_FROM, text)
    notes = re.escape(f"<section><h2>{label('notes', lang)}</h2>") + ".*?</section>"
    return re.sub(notes, READ_FROM, text)


def _json_content(path: Path, server: bool) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for entry in content["records"]:
        assert entry["source"] == "server" or not server
        entry["source"] = READ_FROM
    for key in ("files_read", "counts", "notes"):
        content["sources"][key] = READ_FROM
    return content


def _export_content(path: Path, fmt: str, lang: Lang, server: bool) -> object:
    if fmt == "xlsx":
        return _xlsx_content(path, lang, server)
    if fmt == "html":
        return _html_content(path, lang)
    if fmt == "json":
        return _json_content(path, server)
    rows: list[list[object]] = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    return _blank_column(rows, "source", server)


EXPORTS = [
    ("csv", "visit", "en"),
    ("csv", "step", "zh", "--since", "2024-04-01"),
    ("csv", "followup", "en", "--redact"),
    ("csv", "satisfaction", "zh", "--kind", "repair"),
    ("xlsx", "visit", "en", "--kind", "repair"),
    ("xlsx", "step", "zh", "--redact"),
    ("html", "visit", "en"),
    ("html", "visit", "zh", "--redact", "--engineer", "张伟"),
    ("json", "visit", "en", "--since", "2024-03-01", "--until", "2024-05-31"),
]


def test_report_export_over_the_server_writes_the_files_report(
    database_url: str, tmp_path: Path, laptop_records: tuple[Path, Path, list[VisitRecord]]
) -> None:
    """Every format, over the same records with duplicates, changed copies and closures: the
    file the server writes holds what the file from the folders holds, cell by cell."""
    from cli_runner import invoke
    from server_support import serving

    records_folder, extra, _ = laptop_records
    tokens = _push_everything(database_url, records_folder, extra)
    env = {"FIELDKIT_CONFIG": str(tmp_path / "config.yaml")}
    with serving(database_url) as server:
        for fmt, level, lang, *filters in EXPORTS:
            options = ["-f", fmt, "--level", level, "--lang", lang, *filters]
            remote = invoke("report", "export", "--server", server, "--token", tokens["admin"],
                            "-o", str(tmp_path / f"server.{fmt}"), *options, env=env)  # fmt: skip
            assert remote.exit_code == 0, remote.output
            local = invoke("report", "export", str(records_folder), str(extra),
                           "-o", str(tmp_path / f"files.{fmt}"), *options, env=env)  # fmt: skip
            assert local.exit_code == 0, local.output
            from_server = _export_content(tmp_path / f"server.{fmt}", fmt, lang, server=True)
            from_files = _export_content(tmp_path / f"files.{fmt}", fmt, lang, server=False)
            assert from_server == from_files, options


def test_a_supervisor_logs_in_with_a_browser_and_the_cookie_only_reads(database_url: str) -> None:
    from server_support import start_server

    server = start_server(database_url)
    record = next(r for r in finished_records(20, seed=26) if r.engineer in TEAM_NORTH)
    assert server.push(record).status_code == 201
    client = server.client
    assert client.get("/reports").status_code == 401
    assert "token" in client.get("/login").text
    wrong = client.post("/login", content=b"token=fk_wrong",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert wrong.status_code == 401
    engineer = client.post("/login", data={"token": server.tokens[record.engineer]},
                           follow_redirects=False)  # fmt: skip
    assert engineer.status_code == 403
    logged = client.post("/login", data={"token": server.tokens[SUPERVISOR_NORTH]},
                         follow_redirects=False)  # fmt: skip
    assert logged.status_code == 303 and "httponly" in logged.headers["set-cookie"].lower()
    page = client.get("/reports", params={"lang": "en"})
    assert page.status_code == 200 and record.visit_id in page.text
    # The cookie is for the report pages only: it pushes and reads nothing through the API.
    assert client.get(f"/api/v1/visits/{record.visit_id}").status_code == 401
