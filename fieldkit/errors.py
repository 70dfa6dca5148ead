"""The one exception tree of fieldkit and the exit codes it maps to.

The core raises these; only the CLI layer turns them into messages and exit codes.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # the work ran and did not achieve its aim (a turn-up failed, a repair not restored)
    BAD_INPUT = 2  # the user's input or files are wrong
    CANNOT_RUN = 3  # cannot test / left in progress


class FieldkitError(Exception):
    """Base of every error fieldkit expects; the message is shown to the user as is."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


def in_one_line(error: BaseException) -> str:
    """The message of `error` as one line of a warning: its first line, and how many more
    there are (a ValidationFailed holds one line per problem)."""
    lines = str(error).splitlines() or [type(error).__name__]
    more = len(lines) - 1
    return lines[0] + (f" (and {more} more problems)" if more else "")


class UserInputError(FieldkitError):
    """A bad option, argument or file: one line for the user, exit 2."""


class ValidationFailed(FieldkitError):
    """A file failed validation; `problems` holds one `file:line:col: message` line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class CannotRun(FieldkitError):
    """The environment does not allow the work (no ICMP permission, no ping backend)."""

    exit_code = ExitCode.CANNOT_RUN
