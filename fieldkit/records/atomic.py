"""Writing the records folder's files so that a crash or a failed write loses nothing.

A file is replaced whole: temp file in the same folder, flush + fsync, os.replace onto the
target, fsync the folder. A kill at any point leaves the old or the new file; a failed write
(full disk) removes the temp file and leaves the old one. Files are 0600 and folders 0700 (on
POSIX): records hold customer names and IP plans.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from fieldkit.errors import ExitCode, FieldkitError

TEMP_SUFFIX = ".tmp"
FILE_MODE = 0o600
CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_DIR_MODE = 0o700
_ON_WINDOWS = os.name == "nt"


class SaveFailed(FieldkitError):
    """The record could not be written; the previous visit.json is still there."""

    exit_code = ExitCode.CANNOT_RUN


def write_atomic(target: Path, data: bytes) -> None:
    """Replace `target` with `data` so that a crash leaves either the old or the new file."""
    write_atomic_with(target, lambda fd: write_all(fd, data))


def write_atomic_with(target: Path, write: Callable[[int], None]) -> None:
    """Replace `target` with what `write` writes to the open file descriptor, atomically."""
    folder = target.parent
    temp = folder / f".{target.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    fd = os.open(temp, CREATE_NEW, FILE_MODE)
    try:
        try:
            chmod_private(temp, FILE_MODE)
            write(fd)
            os.fsync(fd)
        finally:
            os.close(fd)
        _replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_dir(folder)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _replace(temp: Path, target: Path) -> None:
    # On Windows a reader (an indexer, antivirus, a supervisor's report) holding visit.json open
    # makes os.replace fail for a moment; retry briefly rather than lose the answer.
    attempts = 20 if _ON_WINDOWS else 1
    for attempt in range(attempts):
        try:
            os.replace(temp, target)
            return
        except PermissionError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in `folder` durable (POSIX; Windows has no directory fsync)."""
    if _ON_WINDOWS:
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def chmod_private(path: Path, mode: int) -> None:
    # os.open/mkdir modes are masked by the umask; chmod sets exactly owner-only.
    if not _ON_WINDOWS:
        os.chmod(path, mode)


def make_private_dir(folder: Path, *, parents: bool = True, exist_ok: bool = True) -> None:
    """Create `folder` (and missing parents) as 0700; an existing folder is left as it is."""
    if folder.is_dir():
        if not exist_ok:
            raise FileExistsError(errno.EEXIST, "exists", str(folder))
        return
    if parents and not folder.parent.is_dir():
        make_private_dir(folder.parent, parents=True)
    try:
        folder.mkdir(mode=_DIR_MODE)
    except FileExistsError:
        if not exist_ok:
            raise
        return
    chmod_private(folder, _DIR_MODE)
