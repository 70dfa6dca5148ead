"""Visits pushed in batches (`POST /api/v1/visits`), SQLite and PostgreSQL alike: each visit of
a batch is judged as `PUT /api/v1/visits/{id}` judges it, the batch is stored in one
transaction, and a laptop syncing with a server that has no batches still gets every visit
there, one request each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from cli_runner import invoke, json_payload
from server_support import (
    TEAM_NORTH,
    Server,
    as_json,
    finished_records,
    in_progress_record,
    prepare_database,
    resealed,
    serving,
    start_server,
    write_laptop_records,
)

from fieldkit.records.identity import sha256_hex
from fieldkit.records.models import Attachment, VisitRecord
from fieldkit.server import db
from fieldkit.server.ingest import MAX_BATCH_VISITS

ENGINEER = TEAM_NORTH[0]


@pytest.fixture
def server(database_url: str) -> Server:
    return start_server(database_url)


def own_records(count: int, engineer: str = ENGINEER) -> list[VisitRecord]:
    found = [r for r in finished_records(count * 40, seed=11) if r.engineer == engineer][:count]
    assert len(found) == count
    return found


def push_batch(server: Server, contents: list[Any], as_user: str = ENGINEER) -> Any:
    return server.client.post(
        "/api/v1/visits", content=json.dumps({"visits": contents}).encode(),
        headers=server.auth(as_user),
    )  # fmt: skip


def stored(url: str) -> dict[str, str]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        found = dict(db.visit_digests(conn, db.VisitScope()))
    engine.dispose()
    return found


def test_each_visit_of_a_batch_gets_the_answer_a_single_push_would(server: Server) -> None:
    new, held, changed_one, twice, mismatched = own_records(5)
    assert server.push(held).status_code == 201
    assert server.push(changed_one).status_code == 201
    someone_else = next(r for r in finished_records(80, seed=11) if r.engineer != ENGINEER)
    progress = in_progress_record().model_copy(update={"engineer": ENGINEER})
    edited = as_json(mismatched)
    edited["customer"] = "edited after completion"
    changed = resealed(changed_one, customer=changed_one.customer + " (edited)")

    answer = push_batch(server, [
        as_json(new), as_json(held), as_json(changed), as_json(someone_else), as_json(progress),
        edited, [1, 2], as_json(twice), as_json(twice),
    ])  # fmt: skip

    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["visit_id"], r["status"]) for r in results] == [
        (new.visit_id, 201), (held.visit_id, 200), (changed.visit_id, 409),
        (someone_else.visit_id, 403), (progress.visit_id, 422), (mismatched.visit_id, 422),
        ("visits[6]", 422), (twice.visit_id, 201), (twice.visit_id, 200),
    ]  # fmt: skip
    assert "changed after completion" in results[2]["detail"]
    assert "own visits" in results[3]["detail"]
    assert "in progress" in results[4]["detail"]
    assert "digest" in results[5]["detail"]
    assert "expected a JSON object" in results[6]["detail"]
    assert stored(server.url) == {
        r.visit_id: r.digest for r in (new, held, changed_one, twice)
    }  # the centre's copy of the changed visit was not overwritten


def test_a_batch_stores_the_same_rows_as_single_pushes(database_url: str, tmp_path: Path) -> None:
    records = own_records(5)
    batched = start_server(database_url)
    assert push_batch(batched, [as_json(r) for r in records]).status_code == 200
    single = start_server(f"sqlite:///{tmp_path / 'single.db'}")
    for record in records:
        assert single.push(record).status_code == 201
    for record in records:
        url = f"/api/v1/visits/{record.visit_id}"
        assert batched.client.get(url, headers=batched.auth(ENGINEER)).json() == as_json(record)
    summary = "/api/v1/reports/summary?lang=en"
    assert (batched.client.get(summary, headers=batched.auth(ENGINEER)).json()
            == single.client.get(summary, headers=single.auth(ENGINEER)).json())  # fmt: skip


def test_a_visit_whose_attachment_is_missing_is_refused_alone(server: Server) -> None:
    plain, with_photo = own_records(2)
    attachment = Attachment(name="光猫.png", stored_path="attachments/光猫.png",
                            sha256=sha256_hex(b"photo"), size=5)  # fmt: skip
    answers = list(with_photo.answers)
    answers[0] = answers[0].model_copy(update={"attachments": [attachment]})
    with_photo = resealed(with_photo, answers=answers)
    results = push_batch(server, [as_json(with_photo), as_json(plain)]).json()["results"]
    assert [r["status"] for r in results] == [422, 201]
    assert "光猫.png" in results[0]["detail"]
    assert stored(server.url) == {plain.visit_id: plain.digest}


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"{not json", 422, "the batch"),
        (b'[{"visit_id": "x"}]', 422, '{"visits"'),
        (b'{"visits": {}}', 422, '{"visits"'),
        (json.dumps({"visits": [{}] * (MAX_BATCH_VISITS + 1)}).encode(), 413, "at most"),
    ],
)
def test_a_batch_that_is_not_one_is_refused_whole(
    server: Server, body: bytes, status: int, reason: str
) -> None:
    refused = server.client.post("/api/v1/visits", content=body, headers=server.auth(ENGINEER))
    assert refused.status_code == status
    assert reason in refused.json()["detail"]


def test_an_oversized_batch_is_413(database_url: str) -> None:
    server = start_server(database_url, max_record_bytes=10_000)
    refused = push_batch(server, [as_json(r) for r in own_records(2)])
    assert refused.status_code == 413
    assert stored(server.url) == {}


def _without_batches(app: Any) -> Any:
    """A server from before batches: `POST /api/v1/visits` is 405, as it was."""

    async def older(scope: Any, receive: Any, send: Any) -> None:
        batch = scope["type"] == "http" and scope["method"] == "POST"
        if batch and scope["path"] == "/api/v1/visits":
            await send({"type": "http.response.start", "status": 405,
                        "headers": [(b"content-type", b"application/json")]})  # fmt: skip
            await send({"type": "http.response.body", "body": b'{"detail":"Method Not Allowed"}'})
            return
        await app(scope, receive, send)

    return older


@pytest.mark.parametrize("batches", [True, False], ids=["batches", "server-without-batches"])
def test_sync_sends_every_visit_in_batches_or_one_by_one(
    database_url: str, tmp_path: Path, batches: bool
) -> None:
    records = own_records(7)
    tokens = prepare_database(database_url)
    write_laptop_records(tmp_path / "records", records)
    env = {"FIELDKIT_RECORDS": str(tmp_path / "records"),
           "FIELDKIT_CONFIG": str(tmp_path / "config.yaml"), "FIELDKIT_CACHE": str(tmp_path / "c"),
           "FIELDKIT_USER_CHECKLISTS": str(tmp_path / "checklists")}  # fmt: skip
    with serving(database_url, wrap=None if batches else _without_batches) as url:
        result = invoke("sync", "--server", url, "--token", tokens[ENGINEER], "--json", env=env)
    assert result.exit_code == 0, result.output
    pushed = json_payload(result.stdout, "fieldkit.sync/1")["visits_pushed"]
    assert sorted(pushed) == sorted(record.visit_id for record in records)
    assert stored(database_url) == {r.visit_id: r.digest for r in records}
