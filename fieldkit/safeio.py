"""Reading files that may be hostile, and choosing where an output file may go.

Every reader of a user's or a colleague's file (records, journals, locks, answers files,
checklists, transcripts, the index cache) reads it through `read_bounded`: only a regular file,
opened without blocking (a FIFO named `visit.json` must not hang a report), never more than
its limit (a 1 GB journal must not fill the memory).

Every command that writes a file for someone (`report export -o`, `visits show -o`,
`visits bundle -o`) checks its target with `check_output_path` first: never a device or a
FIFO, never a record or any other file of a records folder or a report's source. docs/limits.md
lists the bounds.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO

from fieldkit.errors import UserInputError

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
# The files of a visit folder (records/loading.py, journal.py and lock.py name them).
VISIT_FILES = frozenset({"visit.json", "visit.journal", "visit.lock"})


class RefusedFile(OSError):
    """Not read: not a regular file, or larger than the reader's limit; strerror says which."""


def file_kind(mode: int) -> str:
    """What a non-regular file is, as a user would name it."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


@contextmanager
def open_bounded(
    path: str | os.PathLike[str], max_bytes: int, *, follow_symlinks: bool = True
) -> Iterator[BinaryIO]:
    """A regular file of at most `max_bytes` (by its size now), opened for reading, or OSError:
    RefusedFile for a FIFO, device or socket, for a link when `follow_symlinks` is false, and
    for a file over the limit. Opened without blocking, so that a FIFO is refused, not waited on.
    """
    flags = _READ_FLAGS | (0 if follow_symlinks else _NO_FOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP and not follow_symlinks:
            raise RefusedFile(errno.ELOOP, "a symbolic link, not followed", str(path)) from None
        raise
    with os.fdopen(fd, "rb", buffering=0) as handle:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
        if not stat.S_ISREG(info.st_mode):
            kind = file_kind(info.st_mode)
            raise RefusedFile(errno.EINVAL, f"not a regular file but {kind}", str(path))
        if info.st_size > max_bytes:
            raise too_large(path, max_bytes)
        yield handle


def too_large(path: str | os.PathLike[str], max_bytes: int) -> RefusedFile:
    return RefusedFile(errno.EFBIG, f"larger than {max_bytes} bytes", str(path))


def read_chunks(handle: BinaryIO, max_bytes: int, path: str | os.PathLike[str]) -> Iterator[bytes]:
    """The file's content in chunks, RefusedFile as soon as it passes `max_bytes` (a file may
    grow after its size was checked)."""
    size = 0
    while chunk := handle.read(min(1024 * 1024, max_bytes + 1 - size)):
        size += len(chunk)
        if size > max_bytes:
            raise too_large(path, max_bytes)
        yield chunk


def read_bounded(
    path: str | os.PathLike[str], max_bytes: int, *, follow_symlinks: bool = True
) -> bytes:
    """The bytes of a regular file of at most `max_bytes` (see open_bounded)."""
    with open_bounded(path, max_bytes, follow_symlinks=follow_symlinks) as handle:
        return b"".join(read_chunks(handle, max_bytes, path))


def check_output_path(output: Path, protected: Iterable[Path] = ()) -> None:
    """Refuse (UserInputError) an output file that would replace something it must not.

    Refused: a file in a folder that does not exist; a folder, a device, FIFO or socket (a
    rename would replace `/dev/null` by a regular file); the file of any visit folder
    (visit.json, its journal, lock and attachments, wherever they are); anything inside a
    `protected` folder (the records folder, a report's source folders) and any `protected`
    file itself (a report's source bundle).
    """
    try:
        info = output.lstat()
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise UserInputError(f"-o {output}: {error.strerror or error}") from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        try:
            info = output.stat()
        except OSError:
            info = None  # a dangling link: its target is checked below by where it points
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UserInputError(f"-o {output}: is a folder; give a file name")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise UserInputError(f"-o {output}: is {file_kind(info.st_mode)}; give a regular file")
    if info is None and not output.parent.is_dir():
        # Never made: a mistyped folder or an unmounted USB stick would get a look-alike folder
        # on the laptop's own disk, with the customers' visits in it.
        raise UserInputError(f"-o {output}: the folder {output.parent} does not exist")
    target = output.resolve()
    if target.name in VISIT_FILES or _in_visit_folder(target):
        raise UserInputError(f"-o {output}: is part of a visit record; write elsewhere")
    for place in protected:
        try:
            where = place.resolve()
        except OSError:
            continue
        if target == where:
            raise UserInputError(f"-o {output}: is one of the sources; the report would replace it")
        if where.is_dir() and target.is_relative_to(where):
            raise UserInputError(
                f"-o {output}: is inside {place}, a records folder or source; write elsewhere"
            )


def _in_visit_folder(target: Path) -> bool:
    """Inside a visit's folder (beside a visit.json) or its attachments folder."""
    parents = target.parents
    return any((folder / "visit.json").exists() for folder in list(parents)[:2])


def create_private(path: Path) -> int:
    """A new file, owner-only (0600) whatever the umask: the fd, opened for writing."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    if os.name != "nt":
        os.fchmod(fd, 0o600)
    return fd


class JsonProblem(ValueError):
    """Not JSON fieldkit can read; `line` and `col` say where, when known."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.line, self.col = line, col

    def located(self, filename: str) -> str:
        """`file:line:col: message` (or `file: message`), the way every fieldkit error reads."""
        where = f"{filename}:{self.line}:{self.col}" if self.line is not None else filename
        return f"{where}: {self}"


def parse_json(data: bytes | str) -> Any:
    """Any JSON value, under pydantic-core's bounds (nesting up to 200 levels, numbers up to
    4,300 digits), whose strings are all text. pydantic-core's parser is twice as fast as the
    json module; what it refuses goes through the json module for a message with line and
    column. An escaped lone surrogate (`"\\ud800"`), which the json module accepts, is
    refused: it cannot be written back as UTF-8, so a record holding one would stop an export."""
    import json

    import pydantic_core

    try:
        return pydantic_core.from_json(data)
    except ValueError as error:
        message = str(error)
    if message.startswith(("recursion limit", "number out of range")):
        raise JsonProblem(f"invalid JSON: {message} (nesting or number too large)")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise JsonProblem(f"not UTF-8 text (byte {error.start})") from None
    try:
        value = json.loads(data)
    except json.JSONDecodeError as error:
        raise JsonProblem(f"invalid JSON: {error.msg}", error.lineno, error.colno) from None
    except (ValueError, RecursionError) as error:
        raise JsonProblem(f"invalid JSON: {error}") from None
    if holds_surrogate(value):
        raise JsonProblem("invalid JSON: a string holds a lone surrogate (\\ud800-\\udfff)")
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(text: str) -> bool:
    """Whether `text` holds a lone surrogate: bytes a decoder could not read, or an escape."""
    return _SURROGATE.search(text) is not None


def holds_surrogate(value: Any) -> bool:
    """Whether any string in a JSON-like value (keys included) holds a lone surrogate."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if has_surrogate(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def write_private(output: Path, data: bytes) -> None:
    """Write `output` whole, owner-only (0600): to a temporary file beside it, then renamed,
    so a failure never leaves half a file nor touches what was there."""
    temp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(create_private(temp), "wb") as handle:
            handle.write(data)
        os.replace(temp, output)
    finally:
        with suppress(FileNotFoundError):
            temp.unlink()
