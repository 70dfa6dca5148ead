"""A real server app on a real database for the tests: schema migrated, users added, and
sealed records made by benchmarks/make_records.py (the report benchmark's generator)."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from fieldkit.records.models import VisitRecord, VisitStatus
from fieldkit.server import db, migrate
from fieldkit.server.app import Settings, create_app
from fieldkit.server.auth import new_token

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from make_records import ENGINEERS, RecordMaker, record_bytes

TODAY = date(2024, 6, 30)
# Two teams of engineers, a supervisor for each, and an admin.
TEAM_NORTH = ENGINEERS[:6]
TEAM_SOUTH = ENGINEERS[6:]
SUPERVISOR_NORTH = "王主管"
SUPERVISOR_SOUTH = "陈主管"
ADMIN = "admin"


@dataclass
class Server:
    client: TestClient
    tokens: dict[str, str]
    url: str

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def push(
        self, record: VisitRecord, *, as_user: str | None = None, body: bytes | None = None
    ) -> httpx.Response:
        return self.client.put(
            f"/api/v1/visits/{record.visit_id}",
            content=record_bytes(record) if body is None else body,
            headers=self.auth(as_user or record.engineer),
        )


def team_of(name: str) -> str | None:
    if name in TEAM_NORTH or name == SUPERVISOR_NORTH:
        return "north"
    if name in TEAM_SOUTH or name == SUPERVISOR_SOUTH:
        return "south"
    return None


def prepare_database(url: str) -> dict[str, str]:
    """Migrate the schema and add every user; their tokens by name."""
    engine = db.make_engine(url)
    migrate.upgrade(engine)
    tokens: dict[str, str] = {}
    roles = {name: "engineer" for name in ENGINEERS}
    roles |= {SUPERVISOR_NORTH: "supervisor", SUPERVISOR_SOUTH: "supervisor", ADMIN: "admin"}
    with engine.begin() as conn:
        for name, role in roles.items():
            tokens[name] = new_token()
            db.add_user(conn, name, role, team_of(name), tokens[name])
    engine.dispose()
    return tokens


def start_server(url: str, **settings: int) -> Server:
    tokens = prepare_database(url)
    client = TestClient(create_app(Settings(database_url=url, **settings)))  # type: ignore[arg-type]
    return Server(client, tokens, url)


def finished_records(count: int, seed: int = 5) -> list[VisitRecord]:
    """`count` sealed, finished, undamaged records."""
    maker = RecordMaker(seed, TODAY)
    found: list[VisitRecord] = []
    while len(found) < count:
        record, damage = maker.visit()
        if not damage and record.status is not VisitStatus.IN_PROGRESS:
            found.append(record)
    return found


def in_progress_record(seed: int = 5) -> VisitRecord:
    maker = RecordMaker(seed, TODAY)
    while True:
        record, damage = maker.visit()
        if not damage and record.status is VisitStatus.IN_PROGRESS:
            return record


def resealed(record: VisitRecord, **changes: object) -> VisitRecord:
    """The same visit id with other content, sealed again (a digest that matches)."""
    return record.model_copy(update={**changes, "digest": None}).sealed()


def as_json(record: VisitRecord) -> dict[str, object]:
    return json.loads(record_bytes(record))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    url: str, *, wrap: Callable[[Any], Any] | None = None, **settings: int
) -> Iterator[str]:
    """The real app under uvicorn in a thread, on 127.0.0.1; yields its base URL. `wrap`, an
    ASGI middleware, sees every request first (a test holds the server at a chosen moment)."""
    import uvicorn

    port = free_port()
    app: Any = create_app(Settings(database_url=url, **settings))  # type: ignore[arg-type]
    if wrap is not None:
        app = wrap(app)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def write_laptop_records(root: Path, records: list[VisitRecord]) -> None:
    """Records as the laptop's store keeps them: <root>/<visit id>/visit.json."""
    for record in records:
        folder = root / record.visit_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "visit.json").write_bytes(record_bytes(record))
