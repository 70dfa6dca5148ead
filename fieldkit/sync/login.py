"""Where the server's URL and the engineer's token are kept: a 0600 file in the user's config
folder, beside config.yaml (`fieldkit login` writes it)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fieldkit import paths
from fieldkit.errors import UserInputError
from fieldkit.safeio import JsonProblem, parse_json, read_bounded, write_private

LOGIN_FILE = "server-login.json"


def login_file() -> Path:
    return paths.config_file().with_name(LOGIN_FILE)


def check_server_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserInputError(f"--server {url!r}: expected an http:// or https:// URL")
    return url.strip().rstrip("/")


@dataclass(frozen=True)
class Login:
    server: str
    token: str


def save_login(server: str, token: str) -> Path:
    if not token.strip():
        raise UserInputError("--token must not be empty")
    path = login_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {"server": check_server_url(server), "token": token.strip()}
    write_private(path, json.dumps(content, indent=2).encode("utf-8"))
    return path


def resolve_login(server: str | None, token: str | None) -> Login:
    """--server and --token, each falling back to what `fieldkit login` stored."""
    stored: dict[str, str] = {}
    path = login_file()
    if path.exists() and not (server and token):
        try:
            raw = parse_json(read_bounded(path, 64 * 1024))
        except (OSError, JsonProblem) as error:
            raise UserInputError(f"{path}: cannot read: {error}") from None
        if isinstance(raw, dict):
            stored = {key: value for key, value in raw.items() if isinstance(value, str)}
    server = server or stored.get("server")
    token = token or stored.get("token")
    if not server or not token:
        raise UserInputError(
            "no server given: use --server URL --token T, or store them once with "
            "`fieldkit login --server URL --token T`"
        )
    return Login(check_server_url(server), token.strip())
