"""Run the `fieldkit` CLI in-process the way the console script does, root error handler included;
read what a `--json` printed.

Typer's `CliRunner.invoke` drives the Typer app alone, so a FieldkitError would surface as an
exception instead of its stderr lines and exit code; `invoke` goes through `run_app`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from typer.testing import CliRunner

from fieldkit.cli.app import run_app


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def invoke(
    *args: str, env: Mapping[str, str | None] | None = None, input: str | None = None
) -> CliResult:
    """Run `fieldkit ARGS...` with captured stdout/stderr, optional env overrides and stdin."""
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as streams:
        try:
            run_app(list(args))
            exit_code = 0
        except SystemExit as exited:
            exit_code = (
                exited.code if isinstance(exited.code, int) else (0 if exited.code is None else 1)
            )
        sys.stdout.flush()
        sys.stderr.flush()
        return CliResult(
            exit_code=exit_code,
            stdout=streams[0].getvalue().decode("utf-8"),
            stderr=streams[1].getvalue().decode("utf-8"),
        )


def json_payload(stdout: str, schema: str) -> Any:
    """What a `--json` printed, after checking its envelope names `schema` (fieldkit.ping/1)."""
    document = json.loads(stdout)
    assert isinstance(document, dict) and list(document) == ["schema", "data"], stdout[:200]
    assert document["schema"] == schema, document["schema"]
    return document["data"]
