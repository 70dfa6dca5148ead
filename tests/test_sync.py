"""`fieldkit login` and `fieldkit sync` against a real server (uvicorn on 127.0.0.1) on a real
database, SQLite and PostgreSQL: what is pushed, what is refused and why, the exit codes, the
sync state beside the records, attachments, and checklists pulled."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from cli_runner import CliResult, invoke, json_payload
from server_support import (
    ADMIN,
    TEAM_NORTH,
    as_json,
    finished_records,
    free_port,
    in_progress_record,
    prepare_database,
    resealed,
    serving,
    write_laptop_records,
)

from fieldkit.records.identity import content_digest, sha256_hex
from fieldkit.records.models import Attachment, VisitRecord
from fieldkit.server import db

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Laptop:
    """One engineer's laptop: its records folder and settings, and the centre it syncs with."""

    home: Path
    server: str
    database_url: str
    tokens: dict[str, str]
    engineer: str

    @property
    def records(self) -> Path:
        return self.home / "records"

    def env(self) -> dict[str, str | None]:
        return {
            "FIELDKIT_RECORDS": str(self.records),
            "FIELDKIT_CONFIG": str(self.home / "config" / "config.yaml"),
            "FIELDKIT_USER_CHECKLISTS": str(self.home / "checklists"),
            "FIELDKIT_CACHE": str(self.home / "cache"),
            "FIELDKIT_CHECKLISTS": None,
        }

    def sync(self, *extra: str, token: str | None = None) -> CliResult:
        return invoke(
            "sync", "--server", self.server, "--token", token or self.tokens[self.engineer],
            "--json", *extra, env=self.env(),
        )  # fmt: skip

    def stored(self) -> dict[str, str]:
        engine = db.make_engine(self.database_url)
        with engine.connect() as conn:
            found = dict(db.visit_digests(conn, db.VisitScope()))
        engine.dispose()
        return found


@pytest.fixture
def laptop(database_url: str, tmp_path: Path) -> Iterator[Laptop]:
    tokens = prepare_database(database_url)
    with serving(database_url) as server:
        yield Laptop(tmp_path, server, database_url, tokens, TEAM_NORTH[0])


def own_records(laptop: Laptop, count: int) -> list[VisitRecord]:
    found = [
        record for record in finished_records(count * 40, seed=11)
        if record.engineer == laptop.engineer
    ][:count]  # fmt: skip
    assert len(found) == count
    return found


def test_sync_pushes_finished_visits_once_and_remembers_them_beside_the_records(
    laptop: Laptop,
) -> None:
    records = own_records(laptop, 6)
    progress = in_progress_record()
    progress = progress.model_copy(update={"engineer": laptop.engineer})
    write_laptop_records(laptop.records, [*records, progress])

    first = laptop.sync()
    assert first.exit_code == 0, first.output
    report = json_payload(first.stdout, "fieldkit.sync/1")
    assert sorted(report["visits_pushed"]) == sorted(r.visit_id for r in records)
    assert report["in_progress_not_sent"] == 1
    assert laptop.stored() == {r.visit_id: r.digest for r in records}

    state = laptop.home / "records.sync.json"
    assert state.is_file()  # beside the records folder, not inside it
    assert not any(path.name.endswith(".sync.json") for path in laptop.records.rglob("*"))

    listed = json_payload(invoke("visits", "list", "--json", env=laptop.env()).stdout,
                          "fieldkit.visits/1")
    assert {row["visit_id"]: row["synced"] for row in listed} == {
        **{r.visit_id: True for r in records}, progress.visit_id: False
    }
    rows = invoke("visits", "list", env=laptop.env()).stdout.splitlines()
    assert rows[0].endswith("\tsynced")
    marks = {row.split("\t")[0]: row.split("\t")[-1] for row in rows[1:]}
    assert marks == {**{r.visit_id: "yes" for r in records}, progress.visit_id: "-"}

    second = json_payload(laptop.sync().stdout, "fieldkit.sync/1")
    assert second["visits_pushed"] == [] and second["visits_already_there"] == 6

    state.unlink()  # a lost state: the server's answer (same id and digest) is a no-op
    third = json_payload(laptop.sync().stdout, "fieldkit.sync/1")
    assert third["visits_pushed"] == [] and third["visits_already_there"] == 6
    assert laptop.stored() == {r.visit_id: r.digest for r in records}


def test_refused_visits_are_named_with_their_reason_and_exit_1(laptop: Laptop) -> None:
    mine, on_server = own_records(laptop, 2)
    someone_else = next(
        r for r in finished_records(40, seed=12) if r.engineer not in (laptop.engineer,)
    )
    write_laptop_records(laptop.records, [on_server])
    assert laptop.sync().exit_code == 0
    # After the push, the laptop's copy is changed and sealed again; and one edited by hand.
    changed_after = resealed(on_server, customer="changed after sync")
    edited = as_json(mine)
    edited["customer"] = "edited by hand"
    write_laptop_records(laptop.records, [changed_after, someone_else])
    (laptop.records / mine.visit_id).mkdir()
    (laptop.records / mine.visit_id / "visit.json").write_text(json.dumps(edited))
    (laptop.home / "records.sync.json").unlink()

    result = laptop.sync()
    assert result.exit_code == 1
    refused = {item["id"]: item["reason"]
               for item in json_payload(result.stdout, "fieldkit.sync/1")["refused"]}  # fmt: skip
    assert "changed after completion" in refused[on_server.visit_id]
    assert "changed after completion" in refused[mine.visit_id]
    assert "own visits" in refused[someone_else.visit_id]
    assert f"refused {someone_else.visit_id}" in result.stderr
    # Neither side was overwritten.
    assert laptop.stored() == {on_server.visit_id: on_server.digest}
    on_disk = json.loads((laptop.records / on_server.visit_id / "visit.json").read_text())
    assert on_disk["customer"] == "changed after sync"


def test_an_unreachable_server_is_exit_3_and_changes_nothing(tmp_path: Path) -> None:
    laptop = Laptop(tmp_path, f"http://127.0.0.1:{free_port()}", "", {"x": "fk_x"}, "x")
    write_laptop_records(laptop.records, finished_records(2))
    before = sorted(path.name for path in tmp_path.rglob("*"))
    result = laptop.sync()
    assert result.exit_code == 3
    assert "not reachable" in result.stderr
    assert sorted(path.name for path in tmp_path.rglob("*")) == before


@pytest.mark.parametrize(
    "command",
    [
        ("report", "summary"),
        ("followups", "list"),
        ("report", "export", "-f", "csv", "-o", "r.csv"),
    ],
)
def test_an_unreachable_server_for_a_report_says_try_again_not_sync(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """The supervisor ran a report: "sync again later" would send them to the wrong command."""
    server = f"http://127.0.0.1:{free_port()}"
    args = [tmp_path / arg if arg.endswith(".csv") else arg for arg in command]
    result = invoke(*map(str, args), "--server", server, "--token", "fk_x")
    assert result.exit_code == 3
    assert result.stderr.startswith(f"fieldkit: error: the server {server} is not reachable (")
    assert result.stderr.count("\n") == 1 and "sync" not in result.stderr


def test_a_refused_token_is_exit_2(laptop: Laptop) -> None:
    write_laptop_records(laptop.records, own_records(laptop, 1))
    result = laptop.sync(token="fk_not_a_token")
    assert result.exit_code == 2
    assert "refuses the token" in result.stderr
    assert laptop.stored() == {}


def test_login_stores_url_and_token_owner_only(laptop: Laptop) -> None:
    write_laptop_records(laptop.records, own_records(laptop, 2))
    logged = invoke("login", "--server", laptop.server, "--token", laptop.tokens[laptop.engineer],
                    env=laptop.env())  # fmt: skip
    assert logged.exit_code == 0, logged.output
    stored = laptop.home / "config" / "server-login.json"
    if os.name == "posix":
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    result = invoke("sync", env=laptop.env())
    assert result.exit_code == 0, result.output
    assert len(laptop.stored()) == 2
    assert invoke("login", "--server", "ftp://x", "--token", "t", env=laptop.env()).exit_code == 2


def test_attachments_go_with_their_visit(laptop: Laptop) -> None:
    record = own_records(laptop, 1)[0]
    photo = os.urandom(300_000)
    attachment = Attachment(name="机柜.jpg", stored_path="attachments/机柜.jpg",
                            sha256=sha256_hex(photo), size=len(photo))  # fmt: skip
    answers = list(record.answers)
    answers[0] = answers[0].model_copy(update={"attachments": [attachment]})
    with_photo = resealed(record, answers=answers)
    write_laptop_records(laptop.records, [with_photo])
    (laptop.records / record.visit_id / "attachments").mkdir()
    (laptop.records / record.visit_id / "attachments" / "机柜.jpg").write_bytes(photo)

    assert laptop.sync().exit_code == 0
    engine = db.make_engine(laptop.database_url)
    with engine.connect() as conn:
        served = db.blob_for_visit(conn, record.visit_id, "attachments/机柜.jpg")
    engine.dispose()
    assert served == photo


def test_an_attachment_changed_on_the_laptop_keeps_its_visit_back(laptop: Laptop) -> None:
    record = own_records(laptop, 1)[0]
    attachment = Attachment(name="a.jpg", stored_path="attachments/a.jpg",
                            sha256=sha256_hex(b"original"), size=8)  # fmt: skip
    answers = list(record.answers)
    answers[0] = answers[0].model_copy(update={"attachments": [attachment]})
    write_laptop_records(laptop.records, [resealed(record, answers=answers)])
    (laptop.records / record.visit_id / "attachments").mkdir()
    (laptop.records / record.visit_id / "attachments" / "a.jpg").write_bytes(b"replaced")
    result = laptop.sync()
    assert result.exit_code == 1
    assert "a.jpg" in json_payload(result.stdout, "fieldkit.sync/1")["refused"][0]["reason"]
    assert laptop.stored() == {}


def test_an_attachment_path_outside_its_visit_folder_is_never_read(laptop: Laptop) -> None:
    record = own_records(laptop, 1)[0]
    secret = b"a file beside the records, not the visit's"
    laptop.records.mkdir(parents=True)
    (laptop.records / "secret.jpg").write_bytes(secret)
    forged = as_json(record)
    forged["answers"][0]["attachments"] = [{
        "name": "secret.jpg", "stored_path": "../secret.jpg", "sha256": sha256_hex(secret),
        "size": len(secret),
    }]  # fmt: skip
    forged["digest"] = content_digest(forged)  # its digest matches its content
    (laptop.records / record.visit_id).mkdir()
    (laptop.records / record.visit_id / "visit.json").write_text(json.dumps(forged))

    result = laptop.sync()
    assert result.exit_code == 1
    [refused] = json_payload(result.stdout, "fieldkit.sync/1")["refused"]
    assert refused["id"] == record.visit_id
    assert "not a readable record" in refused["reason"] and "stored_path" in refused["reason"]
    engine = db.make_engine(laptop.database_url)
    with engine.connect() as conn:
        assert db.missing_blobs(conn, {sha256_hex(secret)}) == {sha256_hex(secret)}
    engine.dispose()
    assert laptop.stored() == {}


@pytest.mark.parametrize("link_to", ["secret", "/dev/zero"])
def test_an_attachment_that_is_a_link_is_never_read_or_sent(laptop: Laptop, link_to: str) -> None:
    # As a bundle does: a link among the attachments could send a secret file to the server
    # (its sha256 written into the record), or read /dev/zero without end.
    record = own_records(laptop, 1)[0]
    secret = b"a file elsewhere on the laptop"
    laptop.records.mkdir(parents=True)
    target = laptop.records.parent / "secret.jpg" if link_to == "secret" else Path(link_to)
    if link_to == "secret":
        target.write_bytes(secret)
    attachment = Attachment(name="a.jpg", stored_path="attachments/a.jpg",
                            sha256=sha256_hex(secret), size=len(secret))  # fmt: skip
    answers = list(record.answers)
    answers[0] = answers[0].model_copy(update={"attachments": [attachment]})
    write_laptop_records(laptop.records, [resealed(record, answers=answers)])
    (laptop.records / record.visit_id / "attachments").mkdir()
    (laptop.records / record.visit_id / "attachments" / "a.jpg").symlink_to(target)

    result = laptop.sync()
    assert result.exit_code == 1, result.output
    [refused] = json_payload(result.stdout, "fieldkit.sync/1")["refused"]
    assert refused["id"] == record.visit_id
    assert "a.jpg not sent" in refused["reason"] and "link" in refused["reason"]
    engine = db.make_engine(laptop.database_url)
    with engine.connect() as conn:
        assert db.missing_blobs(conn, {sha256_hex(secret)}) == {sha256_hex(secret)}
    engine.dispose()
    assert laptop.stored() == {}


def test_a_sync_of_sealed_visits_loads_no_record_models(laptop: Laptop) -> None:
    # Eight laptops syncing at once spend a third of their CPU starting up: the visits as
    # sealed are sent without importing pydantic and the record models (records/sealed.py).
    write_laptop_records(laptop.records, own_records(laptop, 3))
    code = (
        "import sys\n"
        "from fieldkit.__main__ import main\n"
        "try:\n    main()\n"
        "finally:\n"
        "    print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'"
        " or m == 'fieldkit.records.models'), file=sys.stderr)\n"
    )
    env = {**os.environ, **{k: v for k, v in laptop.env().items() if v is not None}}
    env.pop("FIELDKIT_CHECKLISTS", None)
    ran = subprocess.run(
        [sys.executable, "-c", code, "sync", "--server", laptop.server,
         "--token", laptop.tokens[laptop.engineer]],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "3 visits pushed" in ran.stderr
    assert ran.stderr.rstrip().splitlines()[-1] == "[]"
    assert len(laptop.stored()) == 3


def test_published_checklists_are_pulled_and_a_newer_local_one_is_kept(
    laptop: Laptop, tmp_path: Path
) -> None:
    source = (REPO / "checklists" / "lan-turnup.yaml").read_text(encoding="utf-8")
    published = tmp_path / "published"
    published.mkdir()
    (published / "lan-turnup.yaml").write_text(
        source.replace('version: "1.1"', 'version: "1.5"'), encoding="utf-8"
    )
    ftto = (REPO / "checklists" / "ftto-turnup.yaml").read_bytes()
    (published / "ftto-turnup.yaml").write_bytes(
        ftto.replace(b'version: "1.1"', b'version: "1.3"')
    )
    publish = invoke("server", "checklists", "publish", str(published),
                     "--db", laptop.database_url)  # fmt: skip
    assert publish.exit_code == 0, publish.output
    user_dir = laptop.home / "checklists"
    user_dir.mkdir()
    newer = (REPO / "checklists" / "ftto-turnup.yaml").read_text(encoding="utf-8")
    (user_dir / "ftto-turnup.yaml").write_text(
        newer.replace('version: "1.1"', 'version: "2.0"'), encoding="utf-8"
    )

    result = laptop.sync()
    assert result.exit_code == 0, result.output
    report = json_payload(result.stdout, "fieldkit.sync/1")
    assert report["checklists_installed"] == ["lan-turnup 1.5"]
    assert [kept["id"] for kept in report["checklists_kept"]] == ["ftto-turnup"]
    assert "ftto-turnup" in result.stderr
    assert 'version: "1.5"' in (user_dir / "lan-turnup.yaml").read_text(encoding="utf-8")
    assert 'version: "2.0"' in (user_dir / "ftto-turnup.yaml").read_text(encoding="utf-8")
    again = json_payload(laptop.sync().stdout, "fieldkit.sync/1")
    assert again["checklists_installed"] == []


def test_a_supervisor_token_pushes_only_its_own(laptop: Laptop) -> None:
    write_laptop_records(laptop.records, own_records(laptop, 1))
    result = laptop.sync(token=laptop.tokens[ADMIN])
    assert result.exit_code == 1
    assert "own visits" in result.stderr


def test_a_followup_closed_on_the_laptop_reaches_the_centre_once(laptop: Laptop) -> None:
    from datetime import date

    from fieldkit.followups.items import followup_items

    record = next(
        r for r in finished_records(400, seed=13)
        if r.engineer == laptop.engineer and followup_items(r, date.min)
    )  # fmt: skip
    item = followup_items(record, date.min)[0].item_id
    write_laptop_records(laptop.records, [record])
    assert laptop.sync().exit_code == 0
    closed = invoke("followups", "close", item, "--note", "换了光猫", env=laptop.env())
    assert closed.exit_code == 0, closed.output
    first = json_payload(laptop.sync().stdout, "fieldkit.sync/1")
    assert first["closures_pushed"] == [item]
    assert json_payload(laptop.sync().stdout, "fieldkit.sync/1")["closures_pushed"] == []
    engine = db.make_engine(laptop.database_url)
    with engine.connect() as conn:
        assert db.closure_digest(conn, item) is not None
    engine.dispose()
