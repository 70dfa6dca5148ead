"""`fieldkit followups list` as a table (fieldkit.ui.tables): on 120 columns one line per item;
on 80 columns, where an id (~45 characters) leaves too little room, each item is stacked with
its problem and closing note in full; piped, tab-separated.
"""

from __future__ import annotations

from rich.text import Text as RichText

from fieldkit.followups.items import FollowUp
from fieldkit.lang import Lang
from fieldkit.text import Text
from fieldkit.ui.tables import Column, FitTable

_HEADERS = {
    "id": Text(zh="编号", en="Id"),
    "status": Text(zh="状态", en="Status"),
    "due": Text(zh="期限", en="Due"),
    "problem": Text(zh="问题", en="Problem"),
    "owner": Text(zh="负责人", en="Owner"),
    "customer": Text(zh="客户", en="Customer"),
    "closed": Text(zh="关闭", en="Closed"),
}
_WORDS = {
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


def followups_table(items: list[FollowUp], lang: Lang) -> FitTable:
    """Each item: its id, status, due date, problem, owner, customer, and closure if any.
    Every text a person typed goes in as plain text, never as markup."""
    columns = [Column("id", _HEADERS["id"].get(lang), keep=True),
               Column("status", _HEADERS["status"].get(lang), keep=True),
               Column("due", _HEADERS["due"].get(lang), keep=True),
               Column("problem", _HEADERS["problem"].get(lang), keep=True, wrap=True),
               Column("owner", _HEADERS["owner"].get(lang), keep=True, wrap=True),
               Column("customer", _HEADERS["customer"].get(lang), keep=True, wrap=True)]
    closures = any(item.closed_at is not None for item in items)
    if closures:
        columns.append(Column("closed", _HEADERS["closed"].get(lang), keep=True, wrap=True))
    table = FitTable(columns, lang=lang)
    for item in items:
        due = item.due.isoformat() if item.due else _WORDS["no_due"].get(lang)
        cells: list[str | RichText] = [RichText(item.item_id, style="cyan"),
                 RichText(_STATUS[item.status].get(lang), style=_STATUS_STYLE[item.status]),
                 due, item.problem, item.owner or "–", item.customer]
        piped = [item.item_id, item.status, item.due.isoformat() if item.due else "",
                 item.problem, item.owner, item.customer]
        if closures:
            closed = ""
            if item.closed_at is not None:
                closed = f"{item.closed_at:%Y-%m-%d %H:%M}"
                if item.closed_by:
                    closed += f" ({_WORDS['by'].get(lang)} {item.closed_by})"
                closed += f": {item.closing_note or ''}"
            cells.append(closed)
            piped.append(closed)
        table.add_row(*cells, piped=piped)
    return table
