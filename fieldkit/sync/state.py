"""What the server has accepted, remembered on the laptop: a small JSON file beside the
records folder (`records.sync.json` next to `records/`), never inside a visit's folder, so
it never changes a record nor its digest. Written whole and atomically."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from fieldkit.safeio import JsonProblem, parse_json, read_bounded, write_private

STATE_FORMAT = "fieldkit-sync-state"


def state_file(records_root: Path) -> Path:
    root = records_root.resolve()
    return root.with_name(f"{root.name}.sync.json")


@dataclass
class ServerState:
    visits: dict[str, str] = field(default_factory=dict)  # visit id -> digest accepted
    closures: dict[str, str] = field(default_factory=dict)  # item id -> digest accepted


@dataclass
class SyncState:
    path: Path
    servers: dict[str, ServerState] = field(default_factory=dict)

    @classmethod
    def load(cls, records_root: Path) -> SyncState:
        """The state beside these records; a missing or unreadable file is an empty state
        (the next sync then finds every visit already there: a no-op per visit)."""
        path = state_file(records_root)
        state = cls(path)
        try:
            raw = parse_json(read_bounded(path, 256 * 1024 * 1024))
        except (OSError, JsonProblem):
            return state
        if not isinstance(raw, dict) or raw.get("format") != STATE_FORMAT:
            return state
        for server, content in (raw.get("servers") or {}).items():
            if isinstance(content, dict):
                state.servers[server] = ServerState(
                    visits=dict(content.get("visits") or {}),
                    closures=dict(content.get("closures") or {}),
                )
        return state

    def of(self, server: str) -> ServerState:
        return self.servers.setdefault(server, ServerState())

    def synced_visits(self) -> dict[str, str]:
        """visit id -> digest, accepted by any server."""
        found: dict[str, str] = {}
        for server in self.servers.values():
            found.update(server.visits)
        return found

    def save(self) -> None:
        content = {
            "format": STATE_FORMAT,
            "servers": {
                server: {"visits": state.visits, "closures": state.closures}
                for server, state in sorted(self.servers.items())
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_private(self.path, json.dumps(content, indent=1, sort_keys=True).encode("utf-8"))
