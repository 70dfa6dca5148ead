"""The server's API on a real database, SQLite and PostgreSQL alike (tests/pgcluster.py):
pushes are idempotent by id and digest, each token reads only what its role allows, and bad
input is refused with the status and reason a laptop can act on."""

from __future__ import annotations

import hashlib
import json
import socket

import pytest
import sqlalchemy as sa

pytest.importorskip("fastapi")

from server_support import (
    ADMIN,
    SUPERVISOR_NORTH,
    SUPERVISOR_SOUTH,
    TEAM_NORTH,
    TEAM_SOUTH,
    Server,
    as_json,
    finished_records,
    in_progress_record,
    resealed,
    start_server,
)

from fieldkit.records.identity import sha256_hex
from fieldkit.records.models import Attachment, VisitRecord
from fieldkit.server import db, tables


@pytest.fixture
def server(database_url: str) -> Server:
    return start_server(database_url)


def north_record(index: int = 0) -> VisitRecord:
    return [r for r in finished_records(40) if r.engineer in TEAM_NORTH][index]


def test_a_push_is_stored_once_and_a_changed_copy_is_refused(server: Server) -> None:
    record = north_record()
    first = server.push(record)
    assert first.status_code == 201, first.text
    again = server.push(record)
    assert (again.status_code, again.json()["result"]) == (200, "unchanged")
    changed = resealed(record, customer=record.customer + " (edited)")
    refused = server.push(changed)
    assert refused.status_code == 409
    assert "changed after completion" in refused.json()["detail"]
    kept = server.client.get(f"/api/v1/visits/{record.visit_id}", headers=server.auth(ADMIN))
    assert kept.json() == as_json(record)  # the centre's copy was not overwritten


def test_derived_rows_match_the_record(server: Server) -> None:
    records = finished_records(12)
    for record in records:
        assert server.push(record).status_code == 201
    engine = db.make_engine(server.url)
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(tables.visits)).scalar_one()
        pings = conn.execute(sa.select(sa.func.count()).select_from(tables.pings)).scalar_one()
        steps = conn.execute(sa.select(sa.func.count()).select_from(tables.steps)).scalar_one()
    engine.dispose()
    assert count == 12
    assert pings == sum(len(a.ping_attempts) for r in records for a in r.answers)
    assert steps == sum(len(r.answers) for r in records)


def test_each_role_reads_what_it_may_and_a_refusal_reveals_nothing(server: Server) -> None:
    record = north_record()
    server.push(record)
    url = f"/api/v1/visits/{record.visit_id}"
    other_engineer = next(name for name in TEAM_NORTH if name != record.engineer)
    assert server.client.get(url, headers=server.auth(record.engineer)).status_code == 200
    assert server.client.get(url, headers=server.auth(SUPERVISOR_NORTH)).status_code == 200
    assert server.client.get(url, headers=server.auth(ADMIN)).status_code == 200
    missing = server.client.get(
        "/api/v1/visits/20240101T000000Z-0000000000", headers=server.auth(ADMIN)
    )
    for name in (other_engineer, SUPERVISOR_SOUTH, TEAM_SOUTH[0]):
        hidden = server.client.get(url, headers=server.auth(name))
        assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    listed = server.client.get("/api/v1/visits", headers=server.auth(SUPERVISOR_SOUTH)).json()
    assert listed == []


def test_wrong_missing_or_disabled_tokens_are_401(server: Server) -> None:
    record = north_record()
    url = f"/api/v1/visits/{record.visit_id}"
    assert server.client.get(url).status_code == 401
    wrong = {"Authorization": "Bearer fk_nonsense"}
    assert server.client.get(url, headers=wrong).status_code == 401
    engine = db.make_engine(server.url)
    with engine.begin() as conn:
        db.disable_user(conn, record.engineer)
    engine.dispose()
    refused = server.push(record)
    assert refused.status_code == 401
    assert refused.json() == server.client.get(url).json()


def test_an_engineer_cannot_push_another_engineers_visit(server: Server) -> None:
    record = north_record()
    other = next(name for name in TEAM_NORTH if name != record.engineer)
    refused = server.push(record, as_user=other)
    assert refused.status_code == 403
    assert "own visits" in refused.json()["detail"]


def test_a_visit_in_progress_is_never_accepted(server: Server) -> None:
    record = in_progress_record()
    refused = server.push(record)
    assert refused.status_code == 422
    assert "in progress" in refused.json()["detail"]


def test_a_record_whose_digest_does_not_match_is_refused(server: Server) -> None:
    record = north_record()
    content = as_json(record)
    content["customer"] = "someone else"
    refused = server.push(record, body=json.dumps(content).encode())
    assert refused.status_code == 422
    assert "digest" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "visit"),
        (b"[1, 2]", "expected a JSON object"),
        (None, "status"),
    ],
)
def test_malformed_or_schema_invalid_records_are_422_with_the_reason(
    server: Server, body: bytes | None, reason: str
) -> None:
    record = north_record()
    if body is None:
        content = as_json(record)
        content["status"] = "finished"
        body = json.dumps(content).encode()
    refused = server.push(record, body=body)
    assert refused.status_code == 422
    assert reason in refused.json()["detail"]


def test_an_oversized_body_is_413(database_url: str) -> None:
    server = start_server(database_url, max_record_bytes=10_000)
    record = north_record()
    refused = server.push(record, body=b" " * 10_001)
    assert refused.status_code == 413


def test_attachments_are_checked_by_sha256_and_a_record_needs_them_first(server: Server) -> None:
    record = north_record()
    photo = b"\x89PNG fake photo bytes" * 100
    digest = sha256_hex(photo)
    attachment = Attachment(
        name="光猫.png", stored_path="attachments/光猫.png", sha256=digest, size=len(photo)
    )
    answers = list(record.answers)
    answers[0] = answers[0].model_copy(update={"attachments": [attachment]})
    with_photo = resealed(record, answers=answers)
    headers = server.auth(record.engineer)

    refused = server.push(with_photo)
    assert refused.status_code == 422
    assert "光猫.png" in refused.json()["detail"]
    wrong = server.client.put(f"/api/v1/blobs/{'0' * 64}", content=photo, headers=headers)
    assert wrong.status_code == 422
    missing = server.client.post(
        "/api/v1/blobs/missing", json={"sha256": [digest]}, headers=headers
    )
    assert missing.json() == {"missing": [digest]}
    uploaded = server.client.put(f"/api/v1/blobs/{digest}", content=photo, headers=headers)
    assert uploaded.status_code == 201
    assert server.push(with_photo).status_code == 201
    served = server.client.get(
        f"/api/v1/visits/{record.visit_id}/attachments/attachments/光猫.png", headers=headers
    )
    assert served.content == photo
    assert hashlib.sha256(served.content).hexdigest() == digest


@pytest.mark.parametrize("stored_path", ["../../etc/passwd", "/etc/passwd", "a/../../b", "c:\\x"])
def test_path_tricks_in_attachment_names_are_refused(server: Server, stored_path: str) -> None:
    record = north_record()
    content = as_json(record)
    content["answers"][0]["attachments"] = [
        {"name": "x", "stored_path": stored_path, "sha256": "0" * 64, "size": 1}
    ]
    refused = server.push(record, body=json.dumps(content).encode())
    assert refused.status_code == 422
    assert "relative path" in refused.json()["detail"]


def test_a_database_that_is_gone_is_503_with_retry_after() -> None:
    from fastapi.testclient import TestClient

    from fieldkit.server.app import Settings, create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the socket is closed
    app = create_app(Settings(database_url=f"postgresql+psycopg://x@127.0.0.1:{port}/gone"))
    answer = TestClient(app).get("/api/v1/visits", headers={"Authorization": "Bearer fk_x"})
    assert answer.status_code == 503
    assert answer.headers["retry-after"].isdigit()
