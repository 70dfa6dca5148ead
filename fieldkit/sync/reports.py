"""`report summary --server`: the centre computes the KPIs; the laptop asks with the same
filters and gets the same JSON the file path prints, and the same `Summary` to show."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fieldkit.errors import UserInputError
from fieldkit.lang import Lang
from fieldkit.report.filters import Bound, Filters
from fieldkit.report.summary import Summary
from fieldkit.safeio import write_private
from fieldkit.sync.client import Api
from fieldkit.sync.login import Login

EXPORT_TIMEOUT_S = 30 * 60


def _bound(bound: Bound | None) -> str | None:
    if bound is None:
        return None
    return bound.day.isoformat() if bound.day else bound.instant.isoformat()  # type: ignore[union-attr]


def filter_query(filters: Filters) -> list[tuple[str, str]]:
    """The filters as the server's query parameters (already checked here, as for files)."""
    query: list[tuple[str, str]] = []
    for name, bound in (("since", filters.since), ("until", filters.until)):
        text = _bound(bound)
        if text:
            query.append((name, text))
    for name, values in (
        ("engineer", filters.engineers), ("checklist", filters.checklists),
        ("kind", filters.kinds), ("status", filters.statuses), ("outcome", filters.outcomes),
        ("grade", filters.grades),
    ):  # fmt: skip
        query += [(name, value) for value in sorted(values)]
    if filters.customer:
        query.append(("customer", filters.customer))
    return query


def fetch_summary(login: Login, filters: Filters, lang: Lang, today: date) -> dict[str, Any]:
    """{"summary": ..., "sources": ...} as `report summary --json` prints it."""
    query = [*filter_query(filters), ("lang", lang), ("today", today.isoformat())]
    answer = Api(login.server, login.token).call(
        "GET", "/api/v1/reports/summary?" + urlencode(query)
    )
    if answer.status != 200:
        raise UserInputError(f"the server refused the report ({answer.status}): {answer.detail}")
    found: dict[str, Any] = answer.json()
    return found


def summary_from_json(content: dict[str, Any]) -> Summary:
    """The `Summary` whose `to_json()` is `content` (to show it as the file path does)."""
    value: Summary = load_json(Summary, content)
    return value


def load_json(kind: Any, value: Any) -> Any:
    """`value` (JSON) as `kind`: dataclasses, lists, dicts, dates, enums, by their hints."""
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return load_json(options[0], value)
    if origin is list:
        (item,) = typing.get_args(kind)
        return [load_json(item, entry) for entry in value]
    if origin is dict:
        _, item = typing.get_args(kind)
        return {key: load_json(item, entry) for key, entry in value.items()}
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        factory: Any = kind
        return factory(**{
            f.name: load_json(hints[f.name], value[f.name])
            for f in dataclasses.fields(kind) if f.init and f.name in value
        })  # fmt: skip
    if isinstance(kind, type) and issubclass(kind, datetime):
        return datetime.fromisoformat(value)
    if isinstance(kind, type) and issubclass(kind, date):
        return date.fromisoformat(value)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(value)
    return value


def download_export(
    login: Login, filters: Filters, *, fmt: str, level: str, redact: bool, lang: Lang,
    today: date, output: Path,
) -> None:  # fmt: skip
    """`report export --server`: the server writes the file; it lands at `output` whole (a
    temporary file beside it, renamed), or not at all."""
    query = [*filter_query(filters), ("format", fmt), ("level", level), ("lang", lang),
             ("redact", "true" if redact else "false"), ("today", today.isoformat())]  # fmt: skip
    # The server writes the whole file before its first byte is sent: a centre's year of
    # visits takes minutes, far longer than a push's wait.
    answer = Api(login.server, login.token, timeout=EXPORT_TIMEOUT_S).call(
        "GET", "/api/v1/reports/export?" + urlencode(query)
    )
    if answer.status != 200:
        raise UserInputError(f"the server refused the export ({answer.status}): {answer.detail}")
    write_private(output, answer.body)
