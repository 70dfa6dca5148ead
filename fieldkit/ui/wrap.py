"""Text that wraps where a reader expects at whatever width it is given (fieldkit.cells).

Rich breaks lines only at spaces and cuts a Chinese sentence (or ends it with `…` inside a
table cell) wherever the width runs out, an id or address included. `Wrapped` measures and
renders through `wrap_cells`: Chinese breaks between characters, a Latin word, an id or an
address is never split unless it alone is wider than the line.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from fieldkit.cells import cell_width, unbreakable_width, wrap_cells


class Wrapped:
    """A Rich renderable for `text` (a str or a styled Text), wrapped by `wrap_cells`."""

    def __init__(self, text: str | Text, style: str = "") -> None:
        self.text = text if isinstance(text, Text) else Text(text)
        if style:
            self.text.stylize(style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        plain = self.text.plain
        widest_line = max((cell_width(line) for line in plain.split("\n")), default=1)
        return Measurement(min(max(unbreakable_width(plain), 1), options.max_width),
                           min(widest_line, options.max_width))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in lines_of(self.text, options.max_width):
            line.no_wrap, line.overflow, line.end = True, "ignore", "\n"
            yield line


def lines_of(text: Text, width: int) -> list[Text]:
    """`text` as lines of at most `width` cells, each line keeping its styles."""
    plain = text.plain
    lines: list[Text] = []
    cursor = 0
    for piece in wrap_cells(plain, max(width, 2)):
        start = plain.find(piece, cursor) if piece else cursor
        if start < 0:  # wrap_cells never changes characters; only spaces and breaks fall away
            start = cursor
        lines.append(text[start : start + len(piece)])
        cursor = start + len(piece)
    return lines or [Text("")]
