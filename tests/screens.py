"""Screens as the engineer sees them: Rich renderables at a given width, and the real program
on a pseudo-terminal of a given size (colour off, so the text is what a person reads)."""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

import pexpect
from rich.console import Console

WIDTHS = (80, 120)
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def render(renderable: Any, width: int) -> str:
    """What `renderable` prints on a terminal `width` columns wide."""
    console = Console(width=width, file=io.StringIO(), force_terminal=True, color_system=None,
                      highlight=False)
    console.print(renderable)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return _ESCAPES.sub("", output)


def on_pty(*args: str, columns: int, env: Mapping[str, str] | None = None,
           timeout: float = 60) -> tuple[int, str]:
    """`fieldkit ARGS` on a pseudo-terminal `columns` wide: its exit code and plain output."""
    child = pexpect.spawn(
        sys.executable, ["-m", "fieldkit", *args], encoding="utf-8", timeout=timeout,
        dimensions=(60, columns),
        env={**os.environ, "NO_COLOR": "1", "TERM": "xterm", **(env or {}),
             "COLUMNS": str(columns)},
    )
    output = child.read()
    child.close()
    return int(child.exitstatus or 0), plain(output)


def plain(output: str) -> str:
    """Without colours and cursor moves; of a line redrawn in place (a progress bar), the last
    drawing."""
    lines = _ESCAPES.sub("", output).replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip("\r").split("\r")[-1] for line in lines)


def widest_line(text: str) -> int:
    from fieldkit.cells import cell_width

    return max((cell_width(line.rstrip()) for line in text.splitlines()), default=0)


def reads(shown: str, text: str) -> bool:
    """`text` is on the screen whole: on one line, or wrapped in its column onto consecutive
    lines (each line holding the next piece of it)."""
    lines = shown.splitlines()
    for start in range(len(lines)):
        remaining = text
        for line in lines[start:]:
            piece = next((remaining[:end] for end in range(len(remaining), 0, -1)
                          if remaining[:end] in line), "")
            if not piece:
                break
            remaining = remaining[len(piece):].lstrip()
            if not remaining:
                return True
    return False
