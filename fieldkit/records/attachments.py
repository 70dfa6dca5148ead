"""Files attached to a visit: copied into its attachments/ folder, 0600, under a safe name."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import re
from pathlib import Path

from fieldkit.errors import UserInputError
from fieldkit.records.atomic import (
    DISK_FULL,
    SaveFailed,
    make_private_dir,
    write_all,
    write_atomic_with,
)
from fieldkit.records.models import Attachment
from fieldkit.records.stored_attachments import ATTACHMENTS_DIR, MAX_ATTACHMENT_BYTES
from fieldkit.safeio import RefusedFile, open_bounded, read_chunks


def copy_attachment(folder: Path, source: Path) -> Attachment:
    """Copy `source` into the visit `folder`'s attachments/ and return what an answer records
    about it. The caller holds the visit's lock."""
    if source.is_dir():
        raise UserInputError(f"cannot attach {source}: a folder, not a file")
    attachments = folder / ATTACHMENTS_DIR
    digest = hashlib.sha256()
    size = 0
    with contextlib.ExitStack() as stack:
        try:  # a file the engineer may not read is their input, not a failed save
            reader = stack.enter_context(
                open_bounded(source, MAX_ATTACHMENT_BYTES, follow_symlinks=False)
            )
        except FileNotFoundError:
            raise UserInputError(f"cannot attach {source}: no such file") from None
        except OSError as error:
            reason = error.strerror or error
            if error.errno == errno.ELOOP:
                reason = "a symbolic link; attach the file it points to"
            raise UserInputError(f"cannot attach {source}: {reason}") from None

        def copy_into(fd: int) -> None:
            nonlocal size
            for chunk in read_chunks(reader, MAX_ATTACHMENT_BYTES, source):
                digest.update(chunk)
                size += len(chunk)
                write_all(fd, chunk)

        try:
            make_private_dir(attachments, parents=False, exist_ok=True)
            target = _free_name(attachments, _safe_file_name(source.name))
            write_atomic_with(target, copy_into)
        except RefusedFile as error:  # it grew past the limit while it was copied
            raise UserInputError(f"cannot attach {source}: {error.strerror}") from None
        except OSError as error:
            if error.errno in DISK_FULL:
                raise SaveFailed(f"disk full: {source.name} not attached") from error
            reason = error.strerror or error
            raise SaveFailed(f"cannot attach {source}: {reason}") from error
    return Attachment(
        name=source.name,
        stored_path=f"{ATTACHMENTS_DIR}/{target.name}",
        sha256=digest.hexdigest(),
        size=size,
    )


_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f<>:"/\\|?*]')


def _safe_file_name(name: str) -> str:
    """A name that is valid on Windows too and cannot escape the folder."""
    cleaned = _UNSAFE_NAME_CHARS.sub("_", name).strip(" .")
    return cleaned or "attachment"


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate
