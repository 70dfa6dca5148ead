"""Reading untrusted zip files (bundles handed in by engineers) without trusting them.

Nothing is ever extracted to disk: entries are read into memory, one at a time, with limits
that hold even when the zip's own headers lie. A hostile entry is refused with a reason and
the rest of the bundle is still read; a zip with too many entries is refused as a whole
(listing them is already the attack).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType


@dataclass(frozen=True)
class ZipLimits:
    """How much one bundle may ask of the reader; the defaults fit real bundles many times over."""

    max_entries: int = 500_000
    max_entry_bytes: int = 16 * 1024 * 1024  # one visit record or manifest, uncompressed
    max_ratio: int = 100  # uncompressed / compressed, checked for entries over `ratio_floor_bytes`
    ratio_floor_bytes: int = 1024 * 1024
    max_total_bytes: int = 4 * 1024 * 1024 * 1024  # everything read from one bundle


class UnsafeZip(Exception):
    """The zip, or one entry of it, is refused; the message says why."""


_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_name_reason(name: str) -> str | None:
    """Why an entry name could escape a folder it were extracted into, or None if it is safe."""
    if "\x00" in name:
        return "entry name contains a NUL character"
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or _DRIVE.match(normalised):
        return "absolute entry name"
    if ".." in PurePosixPath(normalised).parts:
        return "entry name climbs out of the bundle ('..')"
    return None


def entry_path(info: zipfile.ZipInfo) -> PurePosixPath:
    return PurePosixPath(info.filename.replace("\\", "/"))


class SafeZip:
    """An open bundle: its safe entries, the unsafe ones with reasons, bounded reads."""

    def __init__(self, path: Path, limits: ZipLimits | None = None) -> None:
        self.path = path
        self.limits = limits or ZipLimits()
        self._read_total = 0
        try:
            self._archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise UnsafeZip(f"not a readable zip file ({error})") from error
        infos = [info for info in self._archive.infolist() if not info.is_dir()]
        if len(infos) > self.limits.max_entries:
            self._archive.close()
            raise UnsafeZip(f"too many entries ({len(infos)} > {self.limits.max_entries})")
        self.unsafe: list[tuple[str, str]] = []
        self.safe: list[zipfile.ZipInfo] = []
        for info in infos:
            reason = unsafe_name_reason(info.filename)
            if reason is None:
                self.safe.append(info)
            else:
                self.unsafe.append((info.filename, reason))

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._archive.close()

    def named(self, file_name: str) -> list[zipfile.ZipInfo]:
        """The safe entries whose last path part is `file_name`, in archive order."""
        return [info for info in self.safe if entry_path(info).name == file_name]

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The entry's bytes, refusing (UnsafeZip) anything over the limits, whatever the
        headers claim: the declared size and ratio are checked first, then the actual bytes."""
        limits = self.limits
        if info.file_size > limits.max_entry_bytes:
            raise UnsafeZip(
                f"entry is too large ({info.file_size} bytes > {limits.max_entry_bytes})"
            )
        if info.file_size > limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise UnsafeZip(f"compression ratio {ratio:.0f}:1 looks like a zip bomb")
        budget = min(limits.max_entry_bytes, limits.max_total_bytes - self._read_total)
        chunks: list[bytes] = []
        size = 0
        try:
            with self._archive.open(info) as stream:
                while chunk := stream.read(min(1024 * 1024, budget + 1 - size)):
                    size += len(chunk)
                    if size > budget:
                        raise UnsafeZip(f"entry expands past {budget} bytes")
                    chunks.append(chunk)
        # RuntimeError: an encrypted entry; NotImplementedError: an unknown compression method;
        # zlib.error: a damaged deflate stream.
        except (
            zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError,
            zlib.error,
        ) as error:
            raise UnsafeZip(f"cannot read entry ({error})") from error
        self._read_total += size
        return b"".join(chunks)
