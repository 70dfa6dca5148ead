"""Faults: the server killed (SIGKILL) in the middle of a push of many visits, and a client
that dies in the middle of an attachment's upload. After the restart and a second sync every
visit is there exactly once and none is half-written (each visit is one transaction); a cut
upload leaves no attachment behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from cli_runner import json_payload

pytest.importorskip("fastapi")

from server_support import (
    TEAM_NORTH,
    finished_records,
    free_port,
    prepare_database,
    serving,
    write_laptop_records,
)

from fieldkit.records.identity import sha256_hex
from fieldkit.server import db, tables

VISITS = 1000


def _start_server(database_url: str, port: int, home: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "fieldkit", "server", "run", "--db", database_url,
         "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "FIELDKIT_CONFIG": str(home / "server-config.yaml")},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode() if server.stderr else "") from None
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_a_server_killed_mid_push_loses_nothing_and_keeps_no_half_visit(
    database_url: str, tmp_path: Path
) -> None:
    engineer = TEAM_NORTH[0]
    records = [
        record.model_copy(update={"engineer": engineer, "digest": None}).sealed()
        for record in finished_records(VISITS, seed=31)
    ]
    write_laptop_records(tmp_path / "records", records)
    token = prepare_database(database_url)[engineer]
    engine = db.make_engine(database_url)
    port = free_port()
    env = {**os.environ, "FIELDKIT_RECORDS": str(tmp_path / "records"),
           "FIELDKIT_CONFIG": str(tmp_path / "config.yaml"),
           "FIELDKIT_CACHE": str(tmp_path / "cache")}  # fmt: skip
    sync = [sys.executable, "-m", "fieldkit", "sync", "--server", f"http://127.0.0.1:{port}",
            "--token", token]  # fmt: skip

    server = _start_server(database_url, port, tmp_path)
    try:
        client = subprocess.Popen(sync, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.monotonic() + 120
        while _count(engine, tables.records) < VISITS // 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait()
        _, client_err = client.communicate(timeout=120)
    finally:
        if server.poll() is None:
            server.kill()
    stored_before = _count(engine, tables.records)
    assert 0 < stored_before < VISITS, "the kill came too late to test anything"
    assert client.returncode == 3, client_err.decode()

    server = _start_server(database_url, port, tmp_path)
    try:
        again = subprocess.run([*sync, "--json"], env=env, capture_output=True, timeout=600)
    finally:
        server.kill()
        server.wait()
    assert again.returncode == 0, again.stderr.decode()
    report = json_payload(again.stdout.decode(), "fieldkit.sync/1")
    assert len(report["visits_pushed"]) + report["visits_already_there"] == VISITS

    with engine.connect() as conn:
        stored = dict(db.visit_digests(conn, db.VisitScope()))
    assert stored == {record.visit_id: record.digest for record in records}
    # Every stored visit has all its derived rows: none was half-written.
    assert _count(engine, tables.visits) == VISITS
    assert _count(engine, tables.steps) == sum(len(record.answers) for record in records)
    assert _count(engine, tables.pings) == sum(
        len(answer.ping_attempts) for record in records for answer in record.answers
    )
    engine.dispose()


def test_an_upload_cut_off_midway_leaves_no_attachment(database_url: str) -> None:
    tokens = prepare_database(database_url)
    token = tokens[TEAM_NORTH[0]]
    content = os.urandom(2_000_000)
    digest = sha256_hex(content)
    with serving(database_url) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as connection:
            head = (
                f"PUT /api/v1/blobs/{digest} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Length: {len(content)}\r\n\r\n"
            )
            connection.sendall(head.encode() + content[: len(content) // 2])
            time.sleep(0.5)  # the server is now reading the body
        # The client is gone mid-body. Give the server a moment to notice, then look.
        time.sleep(1.0)
        engine = db.make_engine(database_url)
        with engine.connect() as conn:
            assert db.missing_blobs(conn, {digest}) == {digest}
        engine.dispose()
