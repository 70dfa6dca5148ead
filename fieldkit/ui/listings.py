"""The listing tables: visits, visits in progress (to resume) and checklists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from fieldkit.lang import Lang
from fieldkit.ui.tables import Column, FitTable

if TYPE_CHECKING:
    from rich.text import Text

    from fieldkit.checklist.registry import ChecklistEntry
    from fieldkit.records.models import VisitRecord

_HEADERS: dict[str, tuple[str, str]] = {
    "number": ("序号", "#"),
    "visit_id": ("走访编号", "Visit id"),
    "started": ("开始时间", "Started"),
    "checklist": ("检查单", "Checklist"),
    "customer": ("客户", "Customer"),
    "engineer": ("工程师", "Engineer"),
    "status": ("状态", "Status"),
    "steps": ("已答步骤", "Steps"),
    "synced": ("已同步", "Synced"),
    "id": ("编号", "Id"),
    "kind": ("类型", "Kind"),
    "version": ("版本", "Version"),
    "title": ("标题", "Title"),
    "from": ("来源", "From"),
    "name": ("用户名", "Name"),
    "role": ("角色", "Role"),
    "team": ("团队", "Team"),
    "disabled": ("已停用", "Disabled"),
}


def header(key: str, lang: Lang) -> str:
    zh, en = _HEADERS[key]
    return zh if lang == "zh" else en


def _columns(lang: Lang, *specs: tuple[str, str]) -> list[Column]:
    """("customer", "keep wrap") -> Column("customer", "客户", keep=True, wrap=True)."""
    return [
        Column(key, header(key, lang), keep="keep" in flags, wrap="wrap" in flags,
               justify="right" if "right" in flags else "left")
        for key, flags in specs
    ]


def _status(record: VisitRecord, lang: Lang) -> Text:
    from rich.text import Text

    from fieldkit.records.view import FINDINGS_COUNT

    state = Text(record.status.label.get(lang))
    outcome = record.outcome
    if outcome is not None and outcome.value != record.status.value:  # not "completed" twice
        state.append(" / ")
        state.append(outcome.label.get(lang), style="green" if outcome.achieved else "red")
    if record.findings:
        state.append(" / " + FINDINGS_COUNT.get(lang).format(n=len(record.findings)))
    return state


def visits_table(
    records: Sequence[VisitRecord], lang: Lang, synced: Mapping[str, str] | None = None
) -> FitTable:
    """`visits list`: id, customer and status always; the rest as the width allows. `synced`
    (visit id -> digest the centre accepted) adds the synced column."""
    specs = [("visit_id", "keep"), ("started", ""), ("checklist", ""), ("customer", "keep wrap"),
             ("engineer", ""), ("status", "keep"), ("steps", "right")]  # fmt: skip
    if synced is not None:
        specs.append(("synced", "keep"))
    table = FitTable(_columns(lang, *specs), lang=lang)
    for record in records:
        row: list[str | Text] = [
            record.visit_id, f"{record.started_at:%Y-%m-%d %H:%M}", record.checklist.id,
            record.customer, record.engineer, _status(record, lang), str(len(record.answers)),
        ]  # fmt: skip
        if synced is not None:
            accepted = record.digest is not None and synced.get(record.visit_id) == record.digest
            row.append(("是" if lang == "zh" else "yes") if accepted else "-")
        table.add_row(*row)
    return table


def resume_table(records: Sequence[VisitRecord], lang: Lang, title: str) -> FitTable:
    """The visits in progress to choose from, numbered."""
    table = FitTable(
        _columns(lang, ("number", "keep right"), ("visit_id", "keep"), ("checklist", ""),
                 ("customer", "keep wrap"), ("started", ""), ("steps", "right")),
        title=title, lang=lang,
    )
    for number, record in enumerate(records, start=1):
        table.add_row(str(number), record.visit_id, record.checklist.id, record.customer,
                      f"{record.started_at:%Y-%m-%d %H:%M}", str(len(record.answers)))
    return table


def checklists_table(entries: Sequence[ChecklistEntry], lang: Lang) -> FitTable:
    """`checklists list`: every checklist on the search path."""
    table = FitTable(
        _columns(lang, ("id", "keep"), ("kind", ""), ("version", ""), ("title", "keep wrap"),
                 ("from", "wrap")),
        lang=lang,
    )
    overrides = {"en": "overrides", "zh": "覆盖"}[lang]
    invalid = {"en": "INVALID", "zh": "无效"}[lang]
    for entry in entries:
        origin = entry.origin if entry.origin == "built-in" else f"{entry.origin}: {entry.path}"
        if entry.overrides:
            origin += f" ({overrides} {', '.join(str(path) for path in entry.overrides)})"
        if entry.valid:
            table.add_row(entry.id, entry.kind or "", entry.version or "",
                          entry.title_in(lang), origin)
        else:
            from rich.text import Text

            table.add_row(entry.id, "-", "-", Text(invalid, style="bold red"), origin)
    return table


class ServerUser(Protocol):
    """A user of the centre's server, as `server user list` shows it."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def team(self) -> str | None: ...
    @property
    def disabled(self) -> bool: ...


def users_table(users: Sequence[ServerUser], lang: Lang) -> FitTable:
    """`server user list`: each user, their role, team and whether their token is refused."""
    table = FitTable(
        _columns(lang, ("name", "keep wrap"), ("role", "keep"), ("team", "keep wrap"),
                 ("disabled", "keep")),
        lang=lang,
    )
    yes = {"en": "yes", "zh": "是"}[lang]
    for user in users:
        table.add_row(user.name, user.role, user.team or "-", yes if user.disabled else "-",
                      piped=[user.name, user.role, user.team or "",
                             "yes" if user.disabled else "no"])
    return table
