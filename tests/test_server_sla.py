"""Service levels the centre publishes (`fieldkit server sla publish`), on SQLite and
PostgreSQL: validated as reports load data/sla.yaml; the running server's KPIs switch to them
(every stored repair measured again); `fieldkit sync` pulls them, checked against their
sha256, and reports over files then measure against them and say which version they used; a
local file with a higher version is kept and reported."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

import httpx
import sqlalchemy as sa
from cli_runner import CliResult, invoke, json_payload
from server_support import (
    ADMIN,
    TEAM_NORTH,
    finished_records,
    prepare_database,
    serving,
    write_laptop_records,
)

from fieldkit.records.models import VisitRecord
from fieldkit.server import db, tables
from fieldkit.sla import default_sla_path, load_sla

BUILTIN = default_sla_path().read_text(encoding="utf-8")


def sla_text(version: str | None, *, hours: str = "0.5") -> str:
    """The built-in file with another version and every repair limit in hours set to `hours`
    (so that the same repairs measure differently)."""
    text = re.sub(r'^version: "1"\n', "" if version is None else f'version: "{version}"\n',
                  BUILTIN, flags=re.M)  # fmt: skip
    return re.sub(r"^(\s+hours: )\d+$", rf"\g<1>{hours}", text, flags=re.M)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def publish(database_url: str, path: Path) -> CliResult:
    return invoke("server", "sla", "publish", str(path), "--db", database_url)


def test_publish_validates_like_the_built_in_file(database_url: str, tmp_path: Path) -> None:
    prepare_database(database_url)
    broken = write(tmp_path, "broken.yaml",
                   sla_text("2").replace("minutes: 30", "minutes: soon"))  # fmt: skip
    refused = publish(database_url, broken)
    assert refused.exit_code == 2
    [line] = refused.stderr.strip().splitlines()
    number = sla_text("2").splitlines().index("      minutes: 30") + 1
    assert f"broken.yaml:{number}:" in line and "minutes" in line, line

    unversioned = publish(database_url, write(tmp_path, "none.yaml", sla_text(None)))
    assert unversioned.exit_code == 2 and "none.yaml: version: missing" in unversioned.stderr
    builtin = publish(database_url, write(tmp_path, "one.yaml", sla_text("1")))
    assert builtin.exit_code == 2 and "not above the built-in 1" in builtin.stderr

    good = write(tmp_path, "sla.yaml", sla_text("2"))
    first = publish(database_url, good)
    assert first.exit_code == 0, first.output
    assert "service levels 2: published" in first.stderr
    assert "already published" in publish(database_url, good).stderr
    other = publish(database_url, write(tmp_path, "other.yaml", sla_text("2", hours="3")))
    assert other.exit_code == 2 and "raise its version" in other.stderr
    older = publish(database_url, write(tmp_path, "older.yaml", sla_text("1.5")))
    assert older.exit_code == 2 and "below the published 2" in older.stderr
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(tables.service_levels.c.version)).scalars().all()
    engine.dispose()
    assert stored == ["2"]


def _summary(result: CliResult) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json_payload(result.stdout, "fieldkit.report-summary/1")
    summary: dict[str, Any] = payload["summary"]
    return summary


def test_published_levels_reach_the_server_reports_and_every_laptop(
    database_url: str, tmp_path: Path
) -> None:
    engineer = TEAM_NORTH[0]
    records = [
        record.model_copy(update={"engineer": engineer, "digest": None}).sealed()
        for record in finished_records(120, seed=51)
    ]
    folder = tmp_path / "records"
    write_laptop_records(folder, records)
    tokens = prepare_database(database_url)
    centre_file = tmp_path / "data" / "centre-sla.yaml"
    env: dict[str, str | None] = {
        "FIELDKIT_RECORDS": str(folder), "FIELDKIT_CONFIG": str(tmp_path / "config.yaml"),
        "FIELDKIT_USER_CHECKLISTS": str(tmp_path / "checklists"),
        "FIELDKIT_CACHE": str(tmp_path / "cache"), "FIELDKIT_CENTRE_SLA": str(centre_file),
        "FIELDKIT_CHECKLISTS": None,
    }  # fmt: skip
    published = write(tmp_path, "sla.yaml", sla_text("2"))

    with serving(database_url) as server:

        def sync(*extra: str) -> CliResult:
            return invoke("sync", "--server", server, "--token", tokens[engineer], "--json",
                          *extra, env=env)  # fmt: skip

        def on_server() -> dict[str, Any]:
            return _summary(invoke("report", "summary", "--server", server, "--token",
                                   tokens[ADMIN], "--json", env=env))  # fmt: skip

        assert httpx.get(f"{server}/api/v1/sla").status_code == 401  # a token is needed
        pushed = sync()
        assert pushed.exit_code == 0, pushed.output
        assert json_payload(pushed.stdout, "fieldkit.sync/1")["service_levels_installed"] is None
        assert not centre_file.exists()  # nothing published yet: the built-in levels apply
        before = on_server()
        assert before["sla_version"] == "1"
        assert before["repairs"]["measured"] > 0

        assert publish(database_url, published).exit_code == 0
        after = on_server()  # the running server, not restarted
        assert after["sla_version"] == "2"
        assert after["repairs"]["within_limit"] < before["repairs"]["within_limit"]
        with_file = _summary(invoke("report", "summary", str(folder), "--sla", str(published),
                                    "--json", env=env))  # fmt: skip
        assert after == with_file  # every stored repair measured again, as the files are

        pulled = sync()
        assert pulled.exit_code == 0, pulled.output
        assert json_payload(pulled.stdout, "fieldkit.sync/1")["service_levels_installed"] == "2"
        assert "service levels 2 installed" in pulled.stderr
        assert centre_file.read_bytes() == published.read_bytes()
        local = _summary(invoke("report", "summary", str(folder), "--json", env=env))
        assert local == after  # reports over files use the pulled levels
        shown = invoke("report", "summary", str(folder), "--lang", "en", env=env)
        assert "\nsla_version\t2\n" in shown.stdout  # piped: the figure's key and its value
        again = json_payload(sync().stdout, "fieldkit.sync/1")
        assert again["service_levels_installed"] is None and again["service_levels_kept"] is None

        # A local file with a higher version is kept, and named.
        newer = sla_text("3", hours="100")
        centre_file.write_text(newer, encoding="utf-8")
        kept = sync()
        assert kept.exit_code == 0, kept.output
        reason = json_payload(kept.stdout, "fieldkit.sync/1")["service_levels_kept"]
        assert "version 3" in reason and "publishes 2" in reason
        assert "fieldkit: service levels: kept" in kept.stderr
        assert centre_file.read_text(encoding="utf-8") == newer
        assert _summary(invoke("report", "summary", str(folder), "--json",
                               env=env))["sla_version"] == "3"  # fmt: skip

        # A file that does not match its sha256 is never installed.
        engine = db.make_engine(database_url)
        with engine.begin() as conn:
            conn.execute(tables.service_levels.update().values(
                content=published.read_bytes().replace(b"0.5", b"0.7")))  # fmt: skip
        engine.dispose()
        centre_file.unlink()
        tampered = sync()
        assert tampered.exit_code == 1
        refused = json_payload(tampered.stdout, "fieldkit.sync/1")["refused"]
        assert refused == [{"id": "service levels",
                            "reason": "the pulled file does not match its sha256; not installed"}]
        assert not centre_file.exists()
        assert not list(centre_file.parent.iterdir())  # no temporary file left behind


def test_a_laptop_keeps_the_built_in_levels_when_they_are_newer(tmp_path: Path) -> None:
    """A pulled file whose version is not above the built-in one is not used (a newer fieldkit's
    own values win over an old publication), nor is a file without a version."""
    records = finished_records(30, seed=52)
    folder = tmp_path / "records"
    write_laptop_records(folder, records)
    centre_file = tmp_path / "centre-sla.yaml"
    env: dict[str, str | None] = {"FIELDKIT_CENTRE_SLA": str(centre_file),
                                  "FIELDKIT_CONFIG": str(tmp_path / "config.yaml")}  # fmt: skip
    for text in (sla_text("0.9"), sla_text(None), sla_text("1")):
        centre_file.write_text(text, encoding="utf-8")
        found = _summary(invoke("report", "summary", str(folder), "--json", env=env))
        assert found["sla_version"] == "1"
    centre_file.write_text(sla_text("1.1"), encoding="utf-8")
    assert _summary(invoke("report", "summary", str(folder), "--json",
                           env=env))["sla_version"] == "1.1"  # fmt: skip
    broken = sla_text("1.1").replace("minutes: 30", "minutes: soon")
    centre_file.write_text(broken, encoding="utf-8")
    failed = invoke("report", "summary", str(folder), env=env)
    assert failed.exit_code == 2 and "centre-sla.yaml:" in failed.stderr


def test_a_visit_derived_while_levels_are_published_is_sent_again(
    database_url: str, tmp_path: Path
) -> None:
    """The publication measures every stored repair again; a repair being stored meanwhile,
    derived with the old levels, is refused with 503 (the laptop sends it again), never kept
    with a limit from the old levels."""
    from fieldkit.server.derived import Derived
    from fieldkit.server.ingest import Refused, ingest_visit
    from fieldkit.server.service_levels import Current

    prepare_database(database_url)
    published = write(tmp_path, "sla.yaml", sla_text("2"))
    old, new = Derived(load_sla()), Derived(load_sla(published))

    def within(derived: Derived, record: VisitRecord) -> bool | None:
        within_limit: bool | None = derived.rows(record, None)[tables.visits][0]["within_limit"]
        return within_limit

    # A repair within its limit under the built-in levels and over it under the published.
    repair = next(r for r in finished_records(400, seed=53)
                  if within(old, r) is True and within(new, r) is False)  # fmt: skip
    user = db.User(repair.engineer, "engineer", None, False)
    published_now: list[CliResult] = []

    class PublishedMeanwhile(Current):
        """The centre publishes just after the push has read which levels are in force."""

        def derived(self, conn: sa.Connection) -> Derived:
            found = super().derived(conn)
            if not published_now:
                published_now.append(publish(database_url, published))
            return found

    engine = db.make_engine(database_url)
    levels = PublishedMeanwhile(old)
    write_laptop_records(tmp_path / "records", [repair])
    body = (tmp_path / "records" / repair.visit_id / "visit.json").read_bytes()
    with pytest.raises(Refused) as refused:
        ingest_visit(engine, levels, user, repair.visit_id, body)
    assert refused.value.status == 503 and published_now[0].exit_code == 0
    with engine.connect() as conn:
        assert db.stored_digests(conn, {repair.visit_id}) == {}
    assert ingest_visit(engine, levels, user, repair.visit_id, body)  # sent again: stored
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(tables.visits.c.within_limit)
            .where(tables.visits.c.visit_id == repair.visit_id)
        ).scalar_one()  # fmt: skip
    engine.dispose()
    assert stored is False  # measured against the published levels
