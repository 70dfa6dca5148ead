"""`followups list|close --server`: the centre's follow-ups listed as `followups list` lists
a folder's, and closed on the server by the engineer or their supervisor."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from cli_runner import invoke, json_payload
from server_support import (
    SUPERVISOR_NORTH,
    SUPERVISOR_SOUTH,
    TEAM_NORTH,
    finished_records,
    prepare_database,
    serving,
    team_of,
    write_laptop_records,
)

from fieldkit.followups.items import followup_items
from fieldkit.server import db
from fieldkit.server.derived import Derived
from fieldkit.server.ingest import ingest_visit
from fieldkit.server.service_levels import Current
from fieldkit.sla import load_sla


def test_the_centres_followups_are_listed_and_closed_like_a_folders(
    database_url: str, tmp_path: Path
) -> None:
    records = [r for r in finished_records(300, seed=25)
               if r.engineer in TEAM_NORTH and followup_items(r, date.min)]  # fmt: skip
    assert len(records) >= 3
    folder = tmp_path / "records"
    write_laptop_records(folder, records)
    tokens = prepare_database(database_url)
    engine = db.make_engine(database_url)
    levels = Current(Derived(load_sla()))
    for record in records:
        user = db.User(record.engineer, "engineer", team_of(record.engineer), False)
        body = (folder / record.visit_id / "visit.json").read_bytes()
        ingest_visit(engine, levels, user, record.visit_id, body)
    engine.dispose()
    env = {"FIELDKIT_CONFIG": str(tmp_path / "config.yaml"), "FIELDKIT_RECORDS": str(folder)}
    item = followup_items(records[0], date.min)[0].item_id

    with serving(database_url) as server:
        remote = ["--server", server, "--token", tokens[SUPERVISOR_NORTH]]
        closed = invoke("followups", "close", item, "--note", "已更换", "--by", "王主管",
                        *remote, env=env)  # fmt: skip
        assert closed.exit_code == 0, closed.output
        again = invoke("followups", "close", item, "--note", "again", *remote, env=env)
        assert again.exit_code == 2 and "already closed" in again.stderr
        listed = json_payload(invoke("followups", "list", "--json", *remote, env=env).stdout,
                              "fieldkit.followups/1")
        assert [row["id"] for row in listed if row["status"] == "closed"] == [item]
        closing = next(row for row in listed if row["id"] == item)
        assert (closing["closed_by"], closing["closing_note"]) == ("王主管", "已更换")
        # Every other item reads as `followups list` reads it from the same records' files.
        local = json_payload(invoke("followups", "list", "--json", env=env).stdout,
                             "fieldkit.followups/1")
        assert [row for row in listed if row["id"] != item] == [
            row for row in local if row["id"] != item
        ]
        assert len(local) == len(listed) > 1
        open_only = json_payload(invoke("followups", "list", "--open", "--json", *remote,
                                         env=env).stdout, "fieldkit.followups/1")  # fmt: skip
        assert item not in {row["id"] for row in open_only}
        south = invoke("followups", "list", "--json", "--server", server, "--token",
                       tokens[SUPERVISOR_SOUTH], env=env)  # fmt: skip
        assert json_payload(south.stdout, "fieldkit.followups/1") == []
        hidden = invoke("followups", "close", followup_items(records[1], date.min)[0].item_id,
                        "--note", "x done", "--server", server, "--token",
                        tokens[SUPERVISOR_SOUTH], env=env)  # fmt: skip
        assert hidden.exit_code == 2 and "no follow-up" in hidden.stderr
