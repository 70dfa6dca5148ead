"""Reading the files a visit keeps in its attachments/ folder, for whatever sends them on (a
bundle, a sync): only a regular file in that folder, never through a link, never larger than
an attachment may be. A link there could pull a secret file into a bundle or onto the
server, or /dev/zero until the memory is gone. Standard library only: `fieldkit sync` reads
attachments without loading the record models."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from fieldkit.safeio import RefusedFile, open_bounded, read_chunks

ATTACHMENTS_DIR = "attachments"
# A photo or a meter's export is a few MB; this keeps one wrong file from filling the disk.
MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024


def leaves_attachments_dir(stored_path: str) -> bool:
    """True when `stored_path` is not a file name directly inside attachments/."""
    parts = PurePosixPath(stored_path).parts
    return len(parts) != 2 or parts[0] != ATTACHMENTS_DIR or parts[1] in ("..", ".")


@contextlib.contextmanager
def open_stored_attachment(folder: Path, stored_path: str) -> Iterator[BinaryIO]:
    """The attachment at `stored_path` of the visit `folder`, opened for reading; OSError
    (RefusedFile saying why) for a path outside attachments/, a linked attachments folder, a
    link, anything but a regular file, or a file over MAX_ATTACHMENT_BYTES."""
    source = folder / stored_path
    if leaves_attachments_dir(stored_path):
        problem = "its path leaves the visit's attachments folder"
        raise RefusedFile(errno.EINVAL, problem, str(source))
    if (folder / ATTACHMENTS_DIR).is_symlink():
        raise RefusedFile(errno.ELOOP, "the attachments folder is a symbolic link", str(source))
    with open_bounded(source, MAX_ATTACHMENT_BYTES, follow_symlinks=False) as reader:
        yield reader


def attachment_chunks(reader: BinaryIO, folder: Path, stored_path: str) -> Iterator[bytes]:
    """An opened attachment's content in chunks; RefusedFile as soon as it grows past the limit."""
    return read_chunks(reader, MAX_ATTACHMENT_BYTES, folder / stored_path)
