"""The visit lock: one fieldkit process writes a visit at a time.

visit.lock is created atomically (hard link of a complete temp file, or O_EXCL where the file
system has no hard links) and holds the owner's pid, host and start time. A lock whose process
is gone (same host) is taken over; a live one, or one from another host, refuses with who holds it.

Why fieldkit's own lock and not `filelock`: records may sit on a shared or removable drive (a
network share, FAT on a USB stick) where OS file locks (fcntl/flock, LockFileEx) are missing or
not seen across hosts, and an OS lock says nothing about who holds it. This lock is a plain file
any host can see, names its holder ("open in another fieldkit (pid …) on <host>"), and survives
a crash as a stale lock that the same host takes over once the process is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from fieldkit.errors import ExitCode, FieldkitError
from fieldkit.records.atomic import (
    CREATE_NEW,
    FILE_MODE,
    TEMP_SUFFIX,
    SaveFailed,
    chmod_private,
    write_all,
)
from fieldkit.safeio import JsonProblem, parse_json, read_bounded

LOCK_FILE = "visit.lock"
# A lock file that cannot be read (written by hand, or by the O_EXCL fallback and cut short by a
# crash) counts as held for this long after its last change, then as stale.
_UNREADABLE_LOCK_GRACE_S = 10.0
_MAX_LOCK_BYTES = 4096  # a lock holds a pid, a host name and a time
_MAX_PID = 2**31 - 1  # pid_t (and a Windows DWORD, by the same bound) on every platform we run
_ON_WINDOWS = os.name == "nt"


class VisitLocked(FieldkitError):
    """Another fieldkit process has this visit open."""

    exit_code = ExitCode.CANNOT_RUN


class VisitLock:
    """A held visit.lock; release() removes it if it is still ours."""

    def __init__(self, path: Path, token: bytes) -> None:
        self.path = path
        self._token = token
        self._held = True

    @classmethod
    def acquire(cls, path: Path, visit_id: str) -> VisitLock:
        token = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": datetime.now().astimezone().isoformat(),
            }
        ).encode("utf-8")
        for _ in range(3):
            try:
                _create_with_content(path, token)
            except FileExistsError:
                _take_over_if_stale(path, visit_id)
                continue
            except OSError as error:
                raise SaveFailed(
                    f"cannot lock visit {visit_id}: {error.strerror or error} ({path})"
                ) from error
            return cls(path, token)
        raise VisitLocked(f"visit {visit_id} is being opened by another fieldkit; try again")

    def ensure_held(self) -> None:
        if not self._held:
            raise VisitLocked(f"visit {self.path.parent.name} was closed; open it again to save")

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        with contextlib.suppress(OSError):
            if self.path.read_bytes() == self._token:
                self.path.unlink()


def _create_with_content(path: Path, content: bytes) -> None:
    """Create `path` holding `content`, or raise FileExistsError; never a half-written file.

    The content goes to a temporary file that is then hard-linked to `path` (which fails if
    `path` exists), so a kill at any point leaves no lock or a complete one. File systems
    without hard links (FAT on a USB stick) fall back to O_EXCL and write.
    """
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    fd = os.open(temp, CREATE_NEW, FILE_MODE)
    try:
        try:
            write_all(fd, content)
        finally:
            os.close(fd)
        chmod_private(temp, FILE_MODE)
        try:
            os.link(temp, path)
        except FileExistsError:
            raise
        except OSError:  # no hard links here
            fd = os.open(path, CREATE_NEW, FILE_MODE)
            try:
                write_all(fd, content)
            finally:
                os.close(fd)
            chmod_private(path, FILE_MODE)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _read_lock(path: Path) -> dict[str, Any] | None:
    try:
        owner = parse_json(read_bounded(path, _MAX_LOCK_BYTES, follow_symlinks=False))
    except (OSError, JsonProblem):
        return None
    if isinstance(owner, dict) and isinstance(owner.get("pid"), int):
        return owner
    return None


def _take_over_if_stale(path: Path, visit_id: str) -> None:
    """Remove a lock left by a dead process on this host; raise VisitLocked for a live one."""
    owner = _read_lock(path)
    if owner is None:
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return  # released meanwhile: try again
        if age < _UNREADABLE_LOCK_GRACE_S:
            raise VisitLocked(f"visit {visit_id} is being opened by another fieldkit; try again")
    else:
        pid, host = owner["pid"], owner.get("host")
        if host != socket.gethostname():
            raise VisitLocked(
                f"visit {visit_id} is open in another fieldkit (pid {pid}) on {host}; if that "
                f"fieldkit is no longer running, delete {path}"
            )
        if _pid_alive(pid):
            raise VisitLocked(
                f"visit {visit_id} is open in another fieldkit (pid {pid}); if no fieldkit is "
                f"running, delete {path}"
            )
    # Move the stale lock aside before deleting it, and check that it is still the one judged
    # stale: two fieldkits taking over at once must not delete each other's new lock.
    aside = path.with_name(f"{path.name}.stale-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    if owner is not None and _read_lock(aside) != owner:
        with contextlib.suppress(OSError):
            os.rename(aside, path)
        raise VisitLocked(f"visit {visit_id} was just opened by another fieldkit")
    with contextlib.suppress(OSError):
        aside.unlink()


def _pid_alive(pid: int) -> bool:
    if not 0 < pid <= _MAX_PID:  # os.kill cannot even ask about a larger one
        return False
    if _ON_WINDOWS:
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def _windows_pid_alive(pid: int) -> bool:
    # os.kill(pid, 0) would terminate the process on Windows; ask the kernel instead.
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    query_limited_information, still_active, access_denied = 0x1000, 259, 5
    process = kernel32.OpenProcess(query_limited_information, False, pid)
    if not process:
        return bool(kernel32.GetLastError() == access_denied)
    try:
        exit_code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(process, ctypes.byref(exit_code)):
            return True
        return exit_code.value == still_active
    finally:
        kernel32.CloseHandle(process)
