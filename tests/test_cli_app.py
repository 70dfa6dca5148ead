"""The root command: version, help and the mapping of errors to exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from fieldkit import __version__
from fieldkit.cli.app import run_app
from fieldkit.errors import CannotRun, ExitCode, UserInputError, ValidationFailed


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fieldkit", *args], capture_output=True, text=True, check=False
    )


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"fieldkit {__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert "No such command" in result.stderr


@pytest.mark.parametrize(
    ("error", "code", "stderr"),
    [
        (UserInputError("bad --count"), ExitCode.BAD_INPUT, "fieldkit: error: bad --count\n"),
        (CannotRun("no ICMP socket"), ExitCode.CANNOT_RUN, "fieldkit: error: no ICMP socket\n"),
        (ValidationFailed(["a.yaml:1:1: x", "a.yaml:2:3: y"]), ExitCode.BAD_INPUT,
         "a.yaml:1:1: x\na.yaml:2:3: y\n"),
    ],
)
def test_errors_become_one_message_and_an_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    error: Exception, code: ExitCode, stderr: str,
) -> None:
    def failing_register(app: typer.Typer) -> None:
        @app.command("explode")
        def explode() -> None:
            raise error

    from fieldkit.cli import report

    monkeypatch.setattr(report, "register", failing_register)
    with pytest.raises(SystemExit) as exited:
        run_app(["explode"])
    assert exited.value.code == code
    assert capsys.readouterr().err == stderr
