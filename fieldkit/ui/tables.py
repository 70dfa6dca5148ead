"""Every table fieldkit prints, laid out to fit the terminal, and tab-separated when piped.

One strategy for all of them, the way `gh` and `kubectl` do it: on a terminal each column
gets its natural width (headers are never broken); when that is too wide, free-text columns
wrap (Chinese by character, see fieldkit.cells), then the least important columns are left
out (a dim line names them), and when even the essential ones do not fit, each row becomes a
stacked block: its first value as a heading, the other columns as `header: value` pairs.
No value is ever cut. Piped output is for machines: a header of column keys, then one line
per row of tab-separated full values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import IO, TYPE_CHECKING, Literal

from fieldkit.cells import cell_width, wrap_cells
from fieldkit.lang import Lang

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.measure import Measurement
    from rich.text import Text

# Rich is imported only to draw a table on a terminal: piped, a listing needs none of it
# (`checklists list | ...` starts faster, see docs/benchmarks.md).

_GAP = 2  # cells between two columns
_WRAP_FLOOR = 12  # a wrapping column is not made narrower than this (or its header)
_INDENT = 2  # the stacked layout's indent under each row's heading


@dataclass(frozen=True)
class Column:
    """One column: `key` heads it when piped, `header` on a terminal.

    `keep`: never left out when narrow. `wrap`: free text that may wrap onto more lines
    (a name, a title); other columns keep each value on one line (ids, dates, figures).
    Columns that are not kept are left out right to left.
    """

    key: str
    header: str
    keep: bool = False
    wrap: bool = False
    justify: Literal["left", "right"] = "left"


@dataclass
class FitTable:
    """A table that picks its layout from the width it is given (a Rich renderable)."""

    columns: Sequence[Column]
    cells: list[list[str | Text]] = field(default_factory=list)
    title: str | None = None
    lang: Lang = "en"
    key: str | None = None  # names the table among others when piped
    show_header: bool = True
    row_styles: list[str] = field(default_factory=list)
    piped_rows: list[list[str]] = field(default_factory=list)

    def add_row(self, *cells: str | Text, style: str = "",
                piped: Sequence[str] | None = None) -> None:
        """A row; `piped` replaces its values when piped (`ok` where people read `连接正常`)."""
        if len(cells) != len(self.columns) or (piped and len(piped) != len(cells)):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.cells.append(list(cells))
        self.__dict__.pop("rows", None)  # drawn before: make the Rich rows anew
        self.row_styles.append(style)
        self.piped_rows.append(list(piped) if piped else [_plain(cell) for cell in cells])

    # -- piped ---------------------------------------------------------------------------------

    def tsv_lines(self) -> Iterator[str]:
        """The header of keys, then each row's full values, tab-separated."""
        yield "\t".join(column.key for column in self.columns)
        for row in self.piped_rows:
            yield "\t".join(_one_line(value) for value in row)

    # -- on a terminal -------------------------------------------------------------------------

    @cached_property
    def rows(self) -> list[list[Text]]:
        """The cells as Rich text, made when the table is first drawn."""
        from rich.text import Text

        return [[cell if not isinstance(cell, str) else Text(cell) for cell in row]
                for row in self.cells]  # fmt: skip

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.measure import Measurement

        natural = _total([self._natural(i) for i in range(len(self.columns))])
        return Measurement(min(natural, options.max_width), min(natural, options.max_width))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        width = options.max_width
        if self.title:
            yield from _lines([Text(line, style="bold") for line in wrap_cells(self.title, width)])
        if not self.rows:
            return
        shown = self.fit(width)
        if shown is None:
            yield from _lines(self._stacked(width))
            return
        indices, widths = shown
        yield from _lines(self._aligned(indices, widths))
        hidden = [self.columns[i].header for i in range(len(self.columns)) if i not in indices]
        if hidden:
            note = _HIDDEN[self.lang].format(columns=_LIST_SEPARATOR[self.lang].join(hidden))
            yield from _lines([Text(line, style="dim") for line in wrap_cells(note, width)])

    def _natural(self, index: int) -> int:
        values = (cell_width(row[index].plain) for row in self.rows)
        return max(cell_width(self.columns[index].header), *values, 0)

    def fit(self, width: int) -> tuple[list[int], list[int]] | None:
        """The columns shown and their widths at `width`; None: stack the rows instead.

        Leaving out optional columns comes before wrapping: a value on one line reads best.
        """
        indices = list(range(len(self.columns)))
        while True:
            widths = [self._natural(i) for i in indices]
            if _total(widths) <= width:
                return indices, widths
            optional = [i for i in indices if not self.columns[i].keep]
            if not optional or len(indices) == 1:
                break
            indices.remove(optional[-1])
        widths = self._squeezed(indices, width)
        return (indices, widths) if _total(widths) <= width else None

    def _squeezed(self, indices: list[int], width: int) -> list[int]:
        """Natural widths, the wrapping columns narrowed (widest first) toward their floor."""
        widths = [self._natural(i) for i in indices]
        floors = [
            max(cell_width(self.columns[i].header), _WRAP_FLOOR) if self.columns[i].wrap
            else widths[n]
            for n, i in enumerate(indices)
        ]
        excess = _total(widths) - width
        while excess > 0:
            room = [n for n in range(len(widths)) if widths[n] > floors[n]]
            if not room:
                break
            widest = max(room, key=lambda n: widths[n])
            widths[widest] -= 1
            excess -= 1
        for n, i in enumerate(indices):
            if self.columns[i].wrap and widths[n] < self._natural(i):
                widths[n] = self._balanced(i, widths[n])
        return widths

    def _balanced(self, index: int, width: int) -> int:
        """The narrowest width that wraps the column onto no more lines than `width` does,
        so a name breaks near its middle, not before its last character."""
        def height(at: int) -> int:
            return max(len(wrap_cells(row[index].plain, at)) for row in self.rows)

        floor = cell_width(self.columns[index].header)
        lines = height(width)
        while width > floor and height(width - 1) == lines:
            width -= 1
        return width

    def _aligned(self, indices: list[int], widths: list[int]) -> list[Text]:
        from rich.text import Text

        lines = []
        if self.show_header:
            header = [Text(self.columns[i].header, style="bold") for i in indices]
            lines = _joined_row(header, [self.columns[i] for i in indices], widths)
        for row, style in zip(self.rows, self.row_styles, strict=True):
            cells = [row[i] for i in indices]
            for line in _joined_row(cells, [self.columns[i] for i in indices], widths):
                line.stylize(style)
                lines.append(line)
        return lines

    def _stacked(self, width: int) -> list[Text]:
        """Each row as a heading line (its first value) and `header: value` pairs under it:
        one-line values side by side as far as they fit, free text on lines of its own."""
        from rich.text import Text

        from fieldkit.ui.wrap import lines_of

        lines: list[Text] = []
        room = width - _INDENT
        for number, (row, style) in enumerate(zip(self.rows, self.row_styles, strict=True)):
            if number:
                lines.append(Text(""))
            for part in lines_of(row[0], width):
                part.stylize("bold")
                part.stylize(style)
                lines.append(part)
            packed = Text()
            for column, cell in zip(self.columns[1:], row[1:], strict=True):
                if not cell.plain:
                    continue
                label = Text(column.header + ": ", style="dim")
                pair = label + cell
                if not column.wrap and cell_width(pair.plain) <= room:
                    if packed and cell_width(packed.plain) + _GAP + cell_width(pair.plain) > room:
                        lines.append(Text(" " * _INDENT) + packed)
                        packed = Text()
                    packed = packed + Text(" " * _GAP) + pair if packed else pair
                    continue
                if packed:
                    lines.append(Text(" " * _INDENT) + packed)
                    packed = Text()
                hanging = cell_width(label.plain) if cell_width(label.plain) < room // 2 else 0
                parts = lines_of(cell, room - hanging)
                if hanging:
                    lines.append(Text(" " * _INDENT) + label + parts[0])
                    parts = parts[1:]
                else:
                    lines.append(Text(" " * _INDENT) + label)
                lines.extend(Text(" " * (_INDENT + hanging)) + part for part in parts)
            if packed:
                lines.append(Text(" " * _INDENT) + packed)
        return lines


_HIDDEN = {
    "en": "Not shown at this width: {columns} (widen the window, or use --json, for all).",
    "zh": "此宽度下未显示：{columns}（加宽窗口或用 --json 查看全部）。",
}


_LIST_SEPARATOR = {"en": ", ", "zh": "、"}


def _total(widths: Iterable[int]) -> int:
    widths = list(widths)
    return sum(widths) + _GAP * max(0, len(widths) - 1)


def _plain(cell: str | Text) -> str:
    return cell if isinstance(cell, str) else cell.plain


def _one_line(value: str) -> str:
    return " ".join(value.replace("\t", " ").splitlines())


def _joined_row(cells: list[Text], columns: list[Column], widths: list[int]) -> list[Text]:
    """One row on as many lines as its tallest cell needs, each cell padded to its width."""
    from rich.text import Text

    from fieldkit.ui.wrap import lines_of

    parts = [lines_of(cell, width) if column.wrap else [cell]
             for cell, column, width in zip(cells, columns, widths, strict=True)]
    height = max(len(part) for part in parts)
    lines = []
    for number in range(height):
        line = Text()
        for index, (part, column, width) in enumerate(zip(parts, columns, widths, strict=True)):
            piece = part[number] if number < len(part) else Text("")
            padding = " " * max(0, width - cell_width(piece.plain))
            if column.justify == "right":
                line.append(padding)
                line.append_text(piece)
            else:
                line.append_text(piece)
                if index < len(parts) - 1:
                    line.append(padding)
            if index < len(parts) - 1:
                line.append(" " * _GAP)
        line.rstrip()
        lines.append(line)
    return lines


def _lines(lines: list[Text]) -> Iterator[Text]:
    for line in lines:
        line.no_wrap, line.overflow = True, "ignore"  # already fitted: Rich must not re-wrap
        yield line


def print_tables(tables: Sequence[FitTable], console: Console, *,
                 piped: bool | None = None) -> None:
    """Tables on the console (a blank line between them), or tab-separated on its stream when
    `piped` (None: when the console is no terminal)."""
    if piped is None:
        piped = not console.is_terminal
    if piped:
        write_tsv(tables, console.file)
        return
    for number, table in enumerate(tables):
        if number:
            console.print()
        console.print(table)


def write_tsv(tables: Sequence[FitTable], out: IO[str]) -> None:
    """Tables tab-separated, for a pipe; several are told apart by a `# key` line before each."""
    for number, table in enumerate(tables):
        if len(tables) > 1:
            out.write(("\n" if number else "") + f"# {table.key or table.title or ''}\n")
        out.write("".join(line + "\n" for line in table.tsv_lines()))
