"""Service levels from data/sla.yaml: grades, business categories, circuit grades, the repair
time limits keyed on them, the fault-process windows and the order types.

The values are the centre's to change, so they live in a data file validated like a checklist
(file:line:col problems through fieldkit.yamlsafe), never in code. The built-in file is also
the one home of customer grades and order types: their ids (what a visit record may hold:
`GradeId`, `OrderTypeId`), their zh/en wording and their order as choices all come from it;
another file given with `--sla` must list exactly the same ids.

A repair's limit is the first `repair_limits` row matching its business category and, where
the row lists them, its customer grade, circuit grade and customer class (`repair_limit_for`);
no row means no limit is known. A row gives hours, or working days (Monday to Friday; the
file knows no public holidays).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from fieldkit.errors import UserInputError, ValidationFailed
from fieldkit.lang import Lang
from fieldkit.paths import centre_sla_file, data_dir
from fieldkit.text import Text
from fieldkit.versions import version_key
from fieldkit.yamlsafe import LoadedYaml, load_model, load_yaml, parse_yaml, validate

SLA_FILE = "sla.yaml"
_GRADE_ID = r"^[a-z][a-z0-9-]*$"
_STEP_ID = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Grade(_Strict):
    id: str = Field(pattern=_GRADE_ID)
    label: Text
    description: Text | None = None


class Choice(_Strict):
    """An id a repair record holds (a choice value of fault-repair) and its wording."""

    id: str = Field(pattern=_STEP_ID)
    label: Text


class BusinessCategory(Choice):
    members: Text  # the services the seed lists under it


class CircuitGrades(_Strict):
    source: Literal["seed", "practice"]
    grades: list[Choice] = Field(min_length=1)


class RepairKeys(_Strict):
    """The fault-repair step ids whose answers a repair's limit depends on."""

    business_category: str = Field(pattern=_STEP_ID)
    circuit_grade: str = Field(pattern=_STEP_ID)
    customer_class: str = Field(pattern=_STEP_ID)
    fault_channel: str = Field(pattern=_STEP_ID)


@dataclass(frozen=True)
class RepairKey:
    """What one repair's limit depends on, as its record holds it (None: not recorded)."""

    business_category: str | None
    grade: str | None
    circuit_grade: str | None
    customer_class: str | None


LimitSource = Literal["seed", "assumed"]
_WORDS = {
    "hours": Text(zh="{n}小时", en="{n} h"),
    "working_days": Text(zh="{n}个工作日", en="{n} working days"),
}


class RepairLimit(_Strict):
    """One row of the time-limit table: a limit in hours or working days, and whom it is for."""

    business_category: str = Field(pattern=_STEP_ID)
    grades: list[str] | None = Field(default=None, min_length=1)
    circuit_grades: list[str] | None = Field(default=None, min_length=1)
    customer_classes: list[str] | None = Field(default=None, min_length=1)
    hours: float | None = Field(default=None, gt=0)
    working_days: int | None = Field(default=None, ge=1)
    feedback_working_days: int | None = Field(default=None, ge=1)
    source: LimitSource
    note: Text | None = None

    @model_validator(mode="after")
    def _hours_or_working_days(self) -> RepairLimit:
        if (self.hours is None) == (self.working_days is None):
            raise ValueError("give exactly one of `hours` and `working_days`")
        return self

    def matches(self, key: RepairKey) -> bool:
        if key.business_category != self.business_category:
            return False
        required = (
            (self.grades, key.grade),
            (self.circuit_grades, key.circuit_grade),
            (self.customer_classes, key.customer_class),
        )
        return all(listed is None or value in listed for listed, value in required)

    def deadline(self, start: datetime) -> datetime:
        """When a repair that started at `start` must be done."""
        if self.hours is not None:
            return start + timedelta(hours=self.hours)
        assert self.working_days is not None
        return add_working_days(start, self.working_days)

    def describe(self, lang: Lang) -> str:
        """`12 h` / `3 working days` (`12小时` / `3个工作日`)."""
        if self.hours is not None:
            return _WORDS["hours"].get(lang).format(n=f"{self.hours:g}")
        return _WORDS["working_days"].get(lang).format(n=self.working_days)


def add_working_days(start: datetime, days: int) -> datetime:
    """`days` working days (Monday to Friday) after `start`, at the same clock time; a start on
    a weekend counts from the start of the next Monday."""
    moment = start
    while moment.weekday() >= 5:
        moment = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    added = 0
    while added < days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            added += 1
    return moment


class Window(_Strict):
    """A fault-process window: at most `minutes` from step `start`'s time to step `end`'s."""

    id: str = Field(pattern=_STEP_ID)
    label: Text
    start: str = Field(pattern=_STEP_ID)
    end: str = Field(pattern=_STEP_ID)
    minutes: int = Field(gt=0)


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


class OrderType(_Strict):
    id: str = Field(pattern=_GRADE_ID)
    label: Text
    reference_share_percent: float | None = Field(default=None, ge=0, le=100)


class Sla(_Strict):
    schema_version: Literal[2] = Field(alias="schema")
    # Which edition of the centre's values this is: `fieldkit sync` keeps the highest, and a
    # report names it. A copy for `--sla` may leave it out; publishing needs it.
    version: str | None = Field(default=None, pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,49}$")
    source: Text
    grades: list[Grade] = Field(min_length=1)
    business_categories: list[BusinessCategory] = Field(min_length=1)
    circuit_grades: CircuitGrades
    customer_classes: list[Choice] = Field(min_length=1)
    fault_channels: list[Choice] = Field(min_length=1)
    repair_keys: RepairKeys
    repair_limits: list[RepairLimit]
    fault_process: FaultProcess
    order_types: list[OrderType] = Field(min_length=1)

    @field_validator("schema_version", mode="before")
    @classmethod
    def _current_schema(cls, value: Any) -> Any:
        if value == 1:
            raise PydanticCustomError(
                "sla",
                "schema 1 keyed repair limits on the customer grade alone; this fieldkit reads "
                "schema 2 (business category, grade and circuit grade): rewrite the file from "
                "the built-in data/sla.yaml (docs/service-levels.md)",
            )
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: Any) -> Any:
        # `version: 1.10` would silently become 1.1; insist on quotes instead of guessing.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise PydanticCustomError(
                "sla", "write the version in quotes, e.g. version: \"{value}\"", {"value": value}
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Sla:
        _require_unique("grade", [grade.id for grade in self.grades])
        _require_unique("order type", [order.id for order in self.order_types])
        _require_unique("business category", [c.id for c in self.business_categories])
        _require_unique("circuit grade", [c.id for c in self.circuit_grades.grades])
        _require_unique("customer class", [c.id for c in self.customer_classes])
        _require_unique("fault channel", [c.id for c in self.fault_channels])
        shares = [order.reference_share_percent for order in self.order_types]
        if all(share is not None for share in shares):
            total = sum(share for share in shares if share is not None)
            if abs(total - 100) > 0.01:
                raise ValueError(f"order type reference shares add up to {total:g} %, not 100 %")
        self._limits_name_known_ids()
        return self

    def _limits_name_known_ids(self) -> None:
        known = {
            "business category": {c.id for c in self.business_categories},
            "grade": {grade.id for grade in self.grades},
            "circuit grade": {c.id for c in self.circuit_grades.grades},
            "customer class": {c.id for c in self.customer_classes},
        }
        for number, row in enumerate(self.repair_limits, start=1):
            named = {
                "business category": [row.business_category],
                "grade": row.grades or [],
                "circuit grade": row.circuit_grades or [],
                "customer class": row.customer_classes or [],
            }
            for what, ids in named.items():
                unknown = [item for item in ids if item not in known[what]]
                if unknown:
                    raise ValueError(
                        f"repair limit #{number} names unknown {what} {unknown[0]!r} "
                        f"(known: {', '.join(sorted(known[what]))})"
                    )

    def visit_field_choices(self) -> dict[str, Sequence[Grade | OrderType]]:
        """The visit fields whose value is one of the ids listed here, with their choices in
        the file's order: what `fieldkit run` accepts and the walkthrough offers."""
        return {"order_type": self.order_types, "grade": self.grades}

    def choice_label(self, field: str, item_id: str, lang: Lang) -> str:
        """How a visit field's value reads: its label in the file, in `lang`."""
        return _by_id(self.visit_field_choices()[field], item_id, field).label.get(lang)

    def grade(self, grade_id: str) -> Grade:
        return _by_id(self.grades, grade_id, "customer grade")

    def order_type(self, order_type_id: str) -> OrderType:
        return _by_id(self.order_types, order_type_id, "order type")

    def business_category(self, category_id: str) -> BusinessCategory:
        return _by_id(self.business_categories, category_id, "business category")

    def applies_to(self, limit: RepairLimit, lang: Lang) -> str:
        """Whom a row is for, as a reader sees it: `800、4008 · 行业及高端聚类客户`."""
        parts = [self.business_category(limit.business_category).label.get(lang)]
        for ids, choices in (
            (limit.grades, self.grades),
            (limit.circuit_grades, self.circuit_grades.grades),
            (limit.customer_classes, self.customer_classes),
        ):
            if ids is not None:
                labels = {choice.id: choice.label.get(lang) for choice in choices}
                parts.append(", ".join(labels[item] for item in ids))
        return " · ".join(parts)

    def repair_limit_for(self, key: RepairKey) -> RepairLimit | None:
        """The first row of the time-limit table that matches; None when no limit is known."""
        return next((row for row in self.repair_limits if row.matches(key)), None)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


ItemT = TypeVar("ItemT", bound=_HasId)


def _by_id(items: Sequence[ItemT], item_id: str, what: str) -> ItemT:
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


def _record_id_problems(loaded: LoadedYaml, sla: Sla, builtin: Sla) -> list[str]:
    """The grades and order types a file must list: exactly the built-in ones, which are the
    ids visit records hold."""
    problems = []
    for what, key, ids, expected in (
        ("grade", "grades", [g.id for g in sla.grades], [g.id for g in builtin.grades]),
        (
            "order type",
            "order_types",
            [o.id for o in sla.order_types],
            [o.id for o in builtin.order_types],
        ),
    ):
        known = f"visit records hold exactly the {what}s {', '.join(expected)}"
        for index, item_id in enumerate(ids):
            if item_id not in expected:
                problems.append(
                    loaded.problem((key, index, "id"), f"unknown {what} {item_id!r}: {known}")
                )
        for item_id in expected:
            if item_id not in ids:
                problems.append(loaded.problem((key,), f"{what} {item_id!r} is missing: {known}"))
    return problems


@dataclass(frozen=True)
class _BuiltinId:
    """A field holding one of the ids a list of the built-in service levels gives: checked
    against the file when a value is first validated (importing a model reads no file), and
    listed as the `enum` of its JSON Schema."""

    what: str
    ids: Callable[[Sla], list[str]]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._known, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(schema), "enum": self.ids(builtin_sla())}

    def _known(self, value: str) -> str:
        known = self.ids(builtin_sla())
        if value not in known:
            raise PydanticCustomError(
                "sla_id",
                "unknown {what} {value} (known: {known}; data/sla.yaml)",
                {"what": self.what, "value": repr(value), "known": ", ".join(known)},
            )
        return value


GradeId = Annotated[str, _BuiltinId("customer grade", lambda sla: [g.id for g in sla.grades])]
OrderTypeId = Annotated[
    str, _BuiltinId("order type", lambda sla: [order.id for order in sla.order_types])
]


def default_sla_path() -> Path:
    return data_dir() / SLA_FILE


def load_sla(path: str | Path | None = None) -> Sla:
    """The service levels from `path` (default: the built-in data/sla.yaml, `builtin_sla()`).

    A broken file raises ValidationFailed with file:line:col lines, like a checklist.
    """
    if path is None:
        return builtin_sla()
    return _checked(load_yaml(path))


def parse_sla(text: str, filename: str) -> Sla:
    """Service levels from a file's text (the server keeps published files in its database),
    validated exactly as `load_sla` validates a file."""
    return _checked(parse_yaml(text, filename))


def _checked(loaded: LoadedYaml) -> Sla:
    sla = validate(loaded, Sla)
    problems = _record_id_problems(loaded, sla, builtin_sla())
    if problems:
        raise ValidationFailed(problems)
    return sla


def centre_sla() -> Sla | None:
    """The centre's service levels `fieldkit sync` pulled, when there is a file and its version
    is above the built-in one's (a newer fieldkit's own values win over an old publication)."""
    path = centre_sla_file()
    if not path.is_file():
        return None
    pulled = load_sla(path)
    builtin = builtin_sla().version or ""
    if pulled.version is None or version_key(pulled.version) <= version_key(builtin):
        return None
    return pulled


def report_sla(path: str | Path | None = None) -> Sla:
    """What a report over files measures against: `--sla FILE`, else the centre's pulled
    service levels (`centre_sla`), else the built-in ones."""
    if path is not None:
        return load_sla(path)
    return centre_sla() or builtin_sla()


@cache
def builtin_sla() -> Sla:
    """The built-in service levels, read once per process: the grades and order types a visit
    record holds come from here, and so do a report's figures unless `--sla` names another
    file."""
    return load_model(default_sla_path(), Sla)
