"""Rich rendering of follow-up items for `fieldkit followups list`.

Two or three lines per item rather than a table: an id is ~45 characters, and an 80-column
terminal must still show the problem and the closing note in full.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text as RichText

from fieldkit.followups.items import FollowUp
from fieldkit.lang import Lang
from fieldkit.text import Text

_WORDS = {
    "due": Text(zh="期限", en="due"),
    "owner": Text(zh="负责人", en="owner"),
    "closed": Text(zh="关闭于", en="closed"),
    "by": Text(zh="关闭人", en="by"),
    "no_due": Text(zh="无期限", en="no due date"),
}
_STATUS = {
    "open": Text(zh="待跟进", en="open"),
    "overdue": Text(zh="已逾期", en="overdue"),
    "closed": Text(zh="已关闭", en="closed"),
}
_STATUS_STYLE = {"open": "bold", "overdue": "bold red", "closed": "green"}
NO_ITEMS = Text(zh="没有跟进事项", en="no follow-ups")


def followups_view(items: list[FollowUp], lang: Lang) -> Group:
    """Each item: its id, status and due date; the problem, owner and customer; its closure.
    Every text a person typed goes in as plain text, never as markup."""
    lines: list[RichText] = []
    for item in items:
        due = f"{_WORDS['due'].get(lang)} {item.due.isoformat()}" if item.due else (
            _WORDS["no_due"].get(lang)
        )
        lines.append(
            RichText.assemble(
                (item.item_id, "cyan"),
                "  ",
                (_STATUS[item.status].get(lang), _STATUS_STYLE[item.status]),
                f"  {due}",
            )
        )
        lines.append(
            RichText.assemble(
                "    ",
                item.problem,
                (f"  {_WORDS['owner'].get(lang)} ", "dim"),
                item.owner or "–",
                (f"  ({item.customer})", "dim"),
            )
        )
        if item.closed_at is not None:
            closed = f"    {_WORDS['closed'].get(lang)} {item.closed_at:%Y-%m-%d %H:%M}"
            if item.closed_by:
                closed += f" ({_WORDS['by'].get(lang)} {item.closed_by})"
            lines.append(RichText.assemble((closed + ": ", "green"), item.closing_note or ""))
    return Group(*lines)
