"""Service levels from data/sla.yaml: customer grades, repair time limits, fault-process windows.

The values are the centre's to change, so they live in a data file validated like a checklist
(file:line:col problems through fieldkit.yamlsafe), never in code. The file is also the one
place for the zh/en wording of customer grades and order types; their ids are fixed by the
visit record (fieldkit.records.models.Grade / OrderType) and the file must list exactly those.
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fieldkit.errors import UserInputError
from fieldkit.paths import data_dir
from fieldkit.text import Text
from fieldkit.yamlsafe import load_model

SLA_FILE = "sla.yaml"
_GRADE_ID = r"^[a-z][a-z0-9-]*$"
_STEP_ID = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Grade(_Strict):
    id: str = Field(pattern=_GRADE_ID)
    label: Text
    description: Text | None = None
    repair_limit_hours: float = Field(gt=0)


class Window(_Strict):
    """A fault-process window: at most `minutes` from step `start`'s time to step `end`'s."""

    id: str = Field(pattern=_STEP_ID)
    label: Text
    start: str = Field(pattern=_STEP_ID)
    end: str = Field(pattern=_STEP_ID)
    minutes: int = Field(gt=0)

    @property
    def limit(self) -> timedelta:
        return timedelta(minutes=self.minutes)


class RepairClock(_Strict):
    """The steps whose times bound the repair that the grade's time limit applies to."""

    start: str = Field(pattern=_STEP_ID)
    end: str = Field(pattern=_STEP_ID)


class FaultProcess(_Strict):
    response: Text
    windows: list[Window] = Field(min_length=1)
    repair: RepairClock

    @model_validator(mode="after")
    def _unique_ids(self) -> FaultProcess:
        _require_unique("window", [window.id for window in self.windows])
        return self

    def window(self, window_id: str) -> Window:
        return _by_id(self.windows, window_id, "fault-process window")


class OrderType(_Strict):
    id: str = Field(pattern=_GRADE_ID)
    label: Text
    reference_share_percent: float | None = Field(default=None, ge=0, le=100)


class Sla(_Strict):
    schema_version: Literal[1] = Field(alias="schema")
    source: Text
    grades: list[Grade] = Field(min_length=1)
    repair_limits_source: Text
    fault_process: FaultProcess
    order_types: list[OrderType] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Sla:
        _require_unique("grade", [grade.id for grade in self.grades])
        _require_unique("order type", [order.id for order in self.order_types])
        # Records store these ids (fieldkit.records.models), and reports look each one up here.
        from fieldkit.records.models import Grade as RecordGrade
        from fieldkit.records.models import OrderType as RecordOrderType

        _require_ids("grade", [grade.id for grade in self.grades], RecordGrade)
        _require_ids("order type", [order.id for order in self.order_types], RecordOrderType)
        shares = [order.reference_share_percent for order in self.order_types]
        if all(share is not None for share in shares):
            total = sum(share for share in shares if share is not None)
            if abs(total - 100) > 0.01:
                raise ValueError(f"order type reference shares add up to {total:g} %, not 100 %")
        return self

    def grade(self, grade_id: str) -> Grade:
        return _by_id(self.grades, grade_id, "customer grade")

    def order_type(self, order_type_id: str) -> OrderType:
        return _by_id(self.order_types, order_type_id, "order type")

    def repair_limit_hours(self, grade_id: str) -> float:
        """How many hours a fault of a customer of this grade may take to repair."""
        return self.grade(grade_id).repair_limit_hours

    def repair_limit(self, grade_id: str) -> timedelta:
        return timedelta(hours=self.repair_limit_hours(grade_id))


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


ItemT = TypeVar("ItemT", bound=_HasId)


def _by_id(items: list[ItemT], item_id: str, what: str) -> ItemT:
    for item in items:
        if item.id == item_id:
            return item
    known = ", ".join(item.id for item in items)
    raise UserInputError(f"unknown {what} {item_id!r} (known: {known})")


def _require_unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise ValueError(f"{what} id {item_id!r} is given twice")
        seen.add(item_id)


def _require_ids(what: str, ids: list[str], record_ids: type[Enum]) -> None:
    expected = [member.value for member in record_ids]
    missing = [item for item in expected if item not in ids]
    unknown = [item for item in ids if item not in expected]
    if missing or unknown:
        problem = (
            f"unknown {what} {unknown[0]!r}" if unknown else f"{what} {missing[0]!r} is missing"
        )
        raise ValueError(
            f"{problem}: visit records hold exactly the {what}s {', '.join(expected)}"
        )


def default_sla_path() -> Path:
    return data_dir() / SLA_FILE


def load_sla(path: str | Path | None = None) -> Sla:
    """The service levels from `path` (default: the built-in data/sla.yaml, `builtin_sla()`).

    A broken file raises ValidationFailed with file:line:col lines, like a checklist.
    """
    return builtin_sla() if path is None else load_model(path, Sla)


@cache
def builtin_sla() -> Sla:
    """The built-in service levels, read once per process: the labels of grades and order
    types (`Grade.label`, `OrderType.label` in fieldkit.records.models) come from here, and
    so do a report's figures unless `--sla` names another file."""
    return load_model(default_sla_path(), Sla)
