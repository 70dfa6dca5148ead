"""`visits show` as text: the visit's fields in a panel, then every step with its details.

Every line wraps at the terminal's width under its own indent (Chinese between characters,
an id or address never split), so an answer, a note or a ping explanation is never cut.
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from fieldkit.records.render import detail_lines
from fieldkit.records.view import VisitView
from fieldkit.ui.wrap import Wrapped

_STYLES = {"passed": "green", "failed": "bold red", "skipped": "dim", "open": "dim"}


def visit_screen(view: VisitView) -> Group:
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column()
    for key, label, value in view.fields:
        changed = key == "digest" and view.digest_state == "changed"
        head.add_row(label, Wrapped(value, "bold red" if changed else ""))
    parts: list[Panel | Wrapped | Padding] = [Panel(head, title=Text(view.title))]
    for step in view.steps:
        heading = Text.assemble((f"{step.number}. {step.title}", "bold"), f" ({step.step_id}) ",
                                (step.state_label, _STYLES.get(step.state, "")))
        parts.append(Wrapped(heading))
        for level, line in detail_lines(view, step):
            parts.append(Padding(Wrapped(line), (0, 0, 0, 3 + 4 * level), expand=False))
    return Group(*parts)


def visit_text(view: VisitView, width: int = 100) -> str:
    """The screen as plain text of `width` cells, for `visits show -o FILE`."""
    console = Console(file=io.StringIO(), width=width, highlight=False)
    console.print(visit_screen(view))
    return console.file.getvalue()  # type: ignore[attr-defined]  # the StringIO above
