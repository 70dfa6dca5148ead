"""A small HTTP client over the standard library, with the exit-code meaning of each failure:
unreachable (or 503) is CannotRun (3), a refused token is UserInputError (2)."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import IO, Any

from fieldkit import __version__
from fieldkit.errors import CannotRun, UserInputError

TIMEOUT_S = 60


class ServerUnreachable(CannotRun):
    """The server or its database cannot be reached: nothing was changed; try again later."""


class TokenRefused(UserInputError):
    """The server does not accept the token (wrong, or its user is disabled)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def detail(self) -> str:
        try:
            found = self.json()
        except ValueError:
            return self.body[:200].decode("utf-8", "replace")
        if isinstance(found, dict) and isinstance(found.get("detail"), str):
            return str(found["detail"])
        return json.dumps(found, ensure_ascii=False)[:200]


class Api:
    def __init__(self, server: str, token: str, timeout: float = TIMEOUT_S) -> None:
        self.server = server
        self.token = token
        self.timeout = timeout

    def call(
        self,
        method: str,
        path: str,
        body: bytes | IO[bytes] | None = None,
        *,
        length: int | None = None,
        content_type: str = "application/json",
    ) -> Answer:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "User-Agent": f"fieldkit/{__version__}",
        }
        if body is not None:
            headers["Content-Type"] = content_type
            headers["Content-Length"] = str(len(body) if isinstance(body, bytes) else length)
        request = urllib.request.Request(
            self.server + path, data=body, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = Answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, error.read())
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            raise ServerUnreachable(
                f"the server {self.server} is not reachable ({reason}); nothing was lost, "
                "try again later"
            ) from None
        if answer.status == 401:
            raise TokenRefused(f"the server {self.server} refuses the token: {answer.detail}")
        if answer.status in (502, 503, 504):
            raise ServerUnreachable(
                f"the server {self.server} is not available ({answer.status}: {answer.detail}); "
                "try again later"
            )
        return answer
