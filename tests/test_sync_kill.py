"""A real `fieldkit sync` (a subprocess) SIGKILLed while it uploads, then run again.

The server (uvicorn on 127.0.0.1, SQLite and PostgreSQL) is held at a chosen moment of the
upload by a test middleware, the client is killed there, and the server let go: the kill lands
at the same point on any machine. Moments: halfway through an attachment's bytes; after the
server stored a batch of visits but before the client heard so; between two batches, after
the sync state was saved. After a second sync: exit 0, every finished visit on the server
exactly once with its attachments intact, the visit in progress never sent, the laptop's
records untouched, and its sync state whole.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

import httpx
from cli_runner import json_payload
from server_support import (
    ADMIN,
    TEAM_NORTH,
    finished_records,
    in_progress_record,
    prepare_database,
    resealed,
    serving,
    write_laptop_records,
)

from fieldkit.records.identity import sha256_hex
from fieldkit.records.models import Attachment, VisitRecord
from fieldkit.sync.service import BATCH_VISITS
from fieldkit.sync.state import STATE_FORMAT

# Sync sends visits in batches of BATCH_VISITS (one request each): two and a half batches.
VISITS = 2 * BATCH_VISITS + BATCH_VISITS // 2
ATTACHMENT_EVERY = 4  # every 4th visit carries a photo
PHOTO_BYTES = 300_000
# The second batch's first photo is larger than the loopback socket buffers hold, so that a
# client killed halfway through it has really not sent the rest (the first batch is stored).
LARGE_PHOTO = -(-BATCH_VISITS // ATTACHMENT_EVERY)
LARGE_PHOTO_BYTES = 40_000_000
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class HoldServer:
    """ASGI middleware: at the `nth` request of one kind, stop (without answering) until the
    test has killed the client. `moment` says where:

    - "mid-attachment": the nth attachment upload, once half its bytes have arrived;
    - "stored-unanswered": the nth push of visits (a batch), stored, before its answer is sent;
    - "before-visit": the nth push of visits, before its body is read (the visits before it
      are stored and answered).
    """

    def __init__(self, moment: str, nth: int) -> None:
        self.moment = moment
        self.nth = nth
        self.reached = threading.Event()
        self.released = threading.Event()
        self.seen = 0
        self.arrived = 0  # bytes of the held attachment that reached the server
        self.app: Any = None

    def wrap(self, app: Any) -> HoldServer:
        self.app = app
        return self

    async def _hold(self) -> None:
        self.reached.set()
        while not self.released.is_set():
            await asyncio.sleep(0.01)

    def _counts(self, scope: Message) -> bool:
        method, path = scope["method"], scope["path"]
        if self.moment == "mid-attachment":
            return bool(method == "PUT" and path.startswith("/api/v1/blobs/"))
        return bool(method in ("PUT", "POST") and path.startswith("/api/v1/visits"))

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._counts(scope):
            return await self.app(scope, receive, send)
        self.seen += 1
        if self.seen != self.nth:
            return await self.app(scope, receive, send)
        if self.moment == "before-visit":
            await self._hold()
            return await self.app(scope, receive, send)
        if self.moment == "stored-unanswered":

            async def held_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    await self._hold()
                await send(message)

            return await self.app(scope, receive, held_send)
        length = int(dict(scope["headers"]).get(b"content-length", b"0"))

        async def held_receive() -> Message:
            message = await receive()
            before = self.arrived
            self.arrived += len(message.get("body", b""))
            if before < length // 2 <= self.arrived:
                await self._hold()
            return message

        return await self.app(scope, held_receive, send)


def _laptop_records(engineer: str) -> tuple[list[VisitRecord], dict[str, bytes]]:
    """VISITS finished records of `engineer` (in the order sync sends them), every
    ATTACHMENT_EVERY-th with a photo; and the photos by the visit id."""
    records = sorted(
        (
            record.model_copy(update={"engineer": engineer, "digest": None}).sealed()
            for record in finished_records(VISITS, seed=41)
        ),
        key=lambda record: record.visit_id,
    )
    photos: dict[str, bytes] = {}
    for number, index in enumerate(range(0, VISITS, ATTACHMENT_EVERY)):
        record = records[index]
        photo = os.urandom(LARGE_PHOTO_BYTES if number == LARGE_PHOTO else PHOTO_BYTES)
        attachment = Attachment(name="机柜.jpg", stored_path="attachments/机柜.jpg",
                                sha256=sha256_hex(photo), size=len(photo))  # fmt: skip
        answers = list(record.answers)
        answers[0] = answers[0].model_copy(update={"attachments": [attachment]})
        records[index] = resealed(record, answers=answers)
        photos[record.visit_id] = photo
    return records, photos


def _write_photos(root: Path, photos: dict[str, bytes]) -> None:
    for visit_id, photo in photos.items():
        folder = root / visit_id / "attachments"
        folder.mkdir(parents=True)
        (folder / "机柜.jpg").write_bytes(photo)


def _tree(root: Path) -> dict[str, str]:
    """Every file under `root` by its relative path, with its sha256."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*")) if path.is_file()
    }  # fmt: skip


def _state(home: Path, server: str) -> dict[str, str] | None:
    """The visits the laptop's sync state says the server accepted (None: no state file)."""
    path = home / "records.sync.json"
    if not path.exists():
        return None
    content = json.loads(path.read_text(encoding="utf-8"))  # whole JSON, never half a file
    assert content["format"] == STATE_FORMAT
    visits: dict[str, str] = content["servers"].get(server, {}).get("visits", {})
    return visits


KILL_MOMENTS = [
    pytest.param("mid-attachment", LARGE_PHOTO + 1, id="halfway-through-the-large-photo"),
    pytest.param("stored-unanswered", 2, id="batch-2-stored-but-unanswered"),
    pytest.param("before-visit", 2, id="before-batch-2"),
]


@pytest.mark.parametrize(("moment", "nth"), KILL_MOMENTS)
def test_sync_killed_mid_upload_resumes_and_every_visit_arrives_once_intact(
    database_url: str, tmp_path: Path, moment: str, nth: int
) -> None:
    engineer = TEAM_NORTH[0]
    records, photos = _laptop_records(engineer)
    in_progress = in_progress_record().model_copy(update={"engineer": engineer})
    root = tmp_path / "records"
    write_laptop_records(root, [*records, in_progress])
    _write_photos(root, photos)
    laptop_files = _tree(root)
    expected = {record.visit_id: record.digest for record in records}
    tokens = prepare_database(database_url)
    env = {**os.environ, "FIELDKIT_RECORDS": str(root),
           "FIELDKIT_CONFIG": str(tmp_path / "config" / "config.yaml"),
           "FIELDKIT_USER_CHECKLISTS": str(tmp_path / "checklists"),
           "FIELDKIT_CACHE": str(tmp_path / "cache")}  # fmt: skip
    hold = HoldServer(moment, nth)

    with serving(database_url, wrap=hold.wrap) as server:
        admin = httpx.Client(
            base_url=server, headers={"Authorization": f"Bearer {tokens[ADMIN]}"}, timeout=120
        )

        def on_server() -> list[dict[str, str]]:
            listed: list[dict[str, str]] = admin.get("/api/v1/visits").json()
            return listed

        sync = [sys.executable, "-m", "fieldkit", "sync", "--server", server,
                "--token", tokens[engineer], "--json"]  # fmt: skip
        client = subprocess.Popen(sync, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            reached = hold.reached.wait(timeout=180)
            client.send_signal(signal.SIGKILL)
            client.wait(timeout=60)
        finally:
            hold.released.set()
            if client.poll() is None:
                client.kill()
        _, client_err = client.communicate()
        assert reached, f"the sync never reached the moment: {client_err.decode()}"
        assert client.returncode == -signal.SIGKILL

        time.sleep(0.5)  # the server has noticed the client is gone and ended its request
        stored_at_kill = {item["visit_id"]: item["digest"] for item in on_server()}
        assert 0 < len(stored_at_kill) < VISITS, "the kill did not land mid-upload"
        assert stored_at_kill.items() <= expected.items()
        remembered = _state(tmp_path, server)
        # What the laptop remembers as accepted, the server holds (it may hold more).
        assert remembered is None or remembered.items() <= stored_at_kill.items()
        if moment == "mid-attachment":
            cut = sorted(photos)[nth - 1]
            assert hold.arrived < len(photos[cut]), "the photo was sent whole before the kill"
            missing = admin.post("/api/v1/blobs/missing",
                                 json={"sha256": [sha256_hex(photos[cut])]}).json()  # fmt: skip
            assert missing == {"missing": [sha256_hex(photos[cut])]}  # no partial attachment

        again = subprocess.run(sync, env=env, capture_output=True, timeout=300)
        assert again.returncode == 0, again.stderr.decode()
        report = json_payload(again.stdout.decode("utf-8"), "fieldkit.sync/1")
        assert report["in_progress_not_sent"] == 1
        assert not set(report["visits_pushed"]) & set(stored_at_kill)
        assert len(report["visits_pushed"]) + report["visits_already_there"] == VISITS

        listed = on_server()
        assert len(listed) == VISITS  # each visit once
        assert {item["visit_id"]: item["digest"] for item in listed} == expected
        for visit_id, photo in photos.items():
            served = admin.get(f"/api/v1/visits/{visit_id}/attachments/attachments/机柜.jpg")
            assert served.status_code == 200
            assert sha256_hex(served.content) == sha256_hex(photo)
        admin.close()

    assert _tree(root) == laptop_files  # nothing on the laptop was changed or lost
    assert _state(tmp_path, server) == expected
    assert not [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")]
