"""Terminal cells of Chinese and English text, and wrapping that breaks lines where a reader would.

Rich (like most terminal libraries) breaks lines only at spaces, so a Chinese sentence, which has
none, is cut wherever the width runs out: inside a Latin word such as `LNK`, or before a `。`.
`wrap_cells` breaks between any two Chinese characters and at spaces, never inside a Latin
word, never before closing punctuation nor after opening punctuation. Standard library only, so
the light commands can use it.
"""

from __future__ import annotations

import unicodedata

# Characters a line must not start with, and ones it must not end with (a common subset of the
# Chinese line-breaking rules, plus their ASCII counterparts).
_NO_LINE_START = frozenset("。，、；：！？）》」』〉】”’…,.;:!?)]}%")
_NO_LINE_END = frozenset("（《「『〈【“‘([{")


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def cell_width(text: str) -> int:
    """Terminal columns: a Chinese character takes two."""
    return sum(2 if is_wide(char) else 1 for char in text)


def _units(paragraph: str) -> list[str]:
    """Pieces that are never split: a Latin word, a run of spaces, or one Chinese character,
    each with the punctuation that must stay next to it."""
    units: list[str] = []
    last_kind = ""
    for char in paragraph:
        kind = "space" if char.isspace() else "wide" if is_wide(char) else "narrow"
        glued = bool(units) and (
            (kind == last_kind and kind != "wide")
            or (char in _NO_LINE_START and last_kind != "space")
            or (units[-1][-1] in _NO_LINE_END and kind != "space")
        )
        if glued:
            units[-1] += char
        else:
            units.append(char)
        last_kind = kind
    return units


def unbreakable_width(text: str) -> int:
    """The cells of the widest piece `wrap_cells` keeps whole (a word, an id, an address)."""
    return max((cell_width(unit) for paragraph in text.split("\n")
                for unit in _units(paragraph) if not unit.isspace()), default=0)


def _chopped(unit: str, width: int) -> list[str]:
    """A piece wider than a whole line (a long URL), cut into lines."""
    pieces, piece = [], ""
    for char in unit:
        if piece and cell_width(piece + char) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece]


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` as lines of at most `width` cells; its own line breaks are kept."""
    width = max(width, 2)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used, space = "", 0, ""
        for unit in _units(paragraph):
            if unit.isspace():
                space = unit if line else ""
                continue
            size = cell_width(unit)
            if line and used + cell_width(space) + size > width:
                lines.append(line)
                line, used = "", 0
            elif line:
                line, used = line + space, used + cell_width(space)
            space = ""
            if size > width:
                *full, unit = _chopped(unit, width)
                lines += full
                size = cell_width(unit)
            line, used = line + unit, used + size
        lines.append(line)
    return lines
