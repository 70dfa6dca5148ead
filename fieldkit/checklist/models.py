"""Pydantic models of the checklist language, schema 1 (see docs/checklist-language.md).

These models check the shape of one file (keys, types, per-field constraints). Checks that
look across steps (duplicate ids, `when` and ping references) live in `semantics.py`, so that
they can point at the exact key that is wrong. Load files through `load.load_checklist`, never
by calling `Checklist.model_validate` on raw YAML: that path adds line numbers and semantics.

Step classes form two levels of discriminated unions: `type` picks the step class, and for
`type: record` the `input` key picks the record class. Code that handles steps uses
`isinstance(step, RecordStep)` (any record) or the concrete classes. A step's `when` is a
condition of condition_models.py.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from fieldkit.checklist.condition_models import Condition
from fieldkit.checklist.ids import CHECKLIST_ID_PATTERN
from fieldkit.checklist.model_base import StepId, StrictModel
from fieldkit.checklist.regex_safety import backtracking_risk
from fieldkit.lang import Lang
from fieldkit.text import Text

SCHEMA_VERSION = 1

Kind = Literal["turnup", "inspection", "visit", "repair", "tools"]
RecordInput = Literal[
    "text",
    "integer",
    "decimal",
    "ipv4",
    "netmask",
    "choice",
    "multi_choice",
    "date",
    "datetime",
    "serial",
]


def _problem(message: str) -> PydanticCustomError:
    """A validation error whose message is shown as is (no "Value error, " prefix)."""
    return PydanticCustomError("checklist", message)


# --- parts of steps ---------------------------------------------------------------------------


LightState = Literal["on", "off", "steady", "blinking", "normal", "traffic"]


class Light(StrictModel):
    """An indicator light and the state to expect, e.g. `{name: PW, state: on}`.

    `normal` is what the seed writes for most lights (是否正常: whatever the device's manual
    calls normal); `traffic` is an Ethernet ACT light, which blinks while data flows."""

    name: Text
    state: LightState
    colour: Text | None = None

    def state_label(self, lang: Lang) -> str:
        """The state as the screens show it (`on` / `亮`)."""
        return _LIGHT_STATES[self.state].get(lang)


_LIGHT_STATES = {
    "on": Text(zh="亮", en="on"),
    "off": Text(zh="灭", en="off"),
    "steady": Text(zh="常亮", en="steady"),
    "blinking": Text(zh="闪烁", en="blinking"),
    "normal": Text(zh="正常", en="normal"),
    "traffic": Text(zh="随数据闪烁", en="blinks with traffic"),
}


class OnFail(StrictModel):
    """What to tell the engineer when a check is answered no, and whether the visit goes on."""

    guidance: Text
    can_continue: bool = True


class Range(StrictModel):
    """A closed band; either bound may be left out."""

    min: float | None = None
    max: float | None = None


class Choice(StrictModel):
    """One option of a choice step; `label` defaults to the value itself."""

    value: str = Field(min_length=1)
    label: Text | None = None

    @field_validator(
        "value",
        mode="before",
        json_schema_input_type=Annotated[str, Field(min_length=1)] | int | float,
    )
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        # `value: 10` is meant as the option "10"; answers are matched as text.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value

    def label_in(self, lang: Literal["zh", "en"]) -> str:
        return self.label.get(lang) if self.label else self.value


class ToolItem(StrictModel):
    """One line of a packing list."""

    id: StepId
    name: Text
    quantity: int = Field(default=1, ge=1)
    note: Text | None = None


# --- steps ------------------------------------------------------------------------------------


class Step(StrictModel):
    """Keys every step has. `when` makes the step conditional on earlier answers."""

    id: StepId
    title: Text
    help: Text | None = None
    required: bool = True
    when: Condition | None = None
    decides: bool | None = Field(
        default=None,
        description="Whether a failure of this step decides the visit's outcome (true) or is a "
        "finding (false); left out, the checklist's kind decides (docs/checklist-language.md)",
    )


class InstructionStep(Step):
    """Something to do, confirmed done / not done; `lights` are what to see afterwards."""

    type: Literal["instruction"]
    lights: list[Light] = Field(default_factory=list)


class CheckStep(Step):
    """A yes/no question; `on_fail` says what to do on no and whether the visit can go on."""

    type: Literal["check"]
    on_fail: OnFail | None = None

    @property
    def can_continue_on_fail(self) -> bool:
        return self.on_fail is None or self.on_fail.can_continue


class RecordStep(Step):
    """A typed reading; the subclass is chosen by `input`."""

    type: Literal["record"]
    input: RecordInput


class TextRecord(RecordStep):
    input: Literal["text"]
    max_length: int | None = Field(default=None, ge=1)


class NumberRecord(RecordStep):
    """`min`/`max`: what the instrument can show (outside: asked again).
    `expect`: the band that passes. `warn`: inside expect but outside warn passes with a warning."""

    input: Literal["integer", "decimal"]
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    expect: Range | None = None
    warn: Range | None = None


class Ipv4Record(RecordStep):
    input: Literal["ipv4"]


class NetmaskRecord(RecordStep):
    input: Literal["netmask"]


class ChoiceRecord(RecordStep):
    """One (`choice`) or several (`multi_choice`) of the values; `expect` lists passing ones."""

    input: Literal["choice", "multi_choice"]
    choices: list[Choice] = Field(min_length=1)
    expect: list[str] | None = Field(default=None, min_length=1)

    def choice(self, value: str) -> Choice | None:
        return next((choice for choice in self.choices if choice.value == value), None)

    def labels_in(self, values: list[str], lang: Literal["zh", "en"]) -> list[str]:
        """What a reader sees for these values: their labels (a value not offered: itself)."""
        labels = []
        for value in values:
            choice = self.choice(value)
            labels.append(choice.label_in(lang) if choice else value)
        return labels


class DateRecord(RecordStep):
    """`not_before`: earlier date (or datetime) steps this answer cannot precede (a fault is
    dispatched after it was reported): an answer that runs backwards is refused with the reason."""

    input: Literal["date", "datetime"]
    not_before: list[StepId] = Field(default_factory=list)


class SerialRecord(RecordStep):
    """A serial number; the whole answer must match `pattern`. `pattern_help` says the format
    in words: the engineer sees it at the prompt and in a refusal, instead of the regex."""

    input: Literal["serial"]
    pattern: str
    pattern_help: Text | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise _problem(f"not a valid regular expression: {error}") from None
        risk = backtracking_risk(value)
        if risk is not None:
            raise _problem(f"the pattern could take for ever on some answers: {risk}")
        return value


AnyRecord = Annotated[
    TextRecord
    | NumberRecord
    | Ipv4Record
    | NetmaskRecord
    | ChoiceRecord
    | DateRecord
    | SerialRecord,
    Field(discriminator="input"),
]


class PingStep(Step):
    """Ping the address recorded by the `target` step; `mask` names a netmask record if any.

    `own_ip` names the record of the address the laptop takes for the test (the customer IP):
    the walk then refuses a target equal to it, and with `mask` one outside that subnet or on
    its network or broadcast address.

    Every reply in but one at or over `slow_ms` (verdict `slow`) passes with a warning: the
    seed's normal outcome is time<50ms, but it never calls a slower complete reply a failure.
    `slow_fails: true` makes a slow reply fail the step instead.
    """

    type: Literal["ping"]
    target: StepId
    mask: StepId | None = None
    own_ip: StepId | None = None
    count: int = Field(default=4, ge=1, le=100)
    interval_s: float = Field(default=1, gt=0, le=60)
    timeout_s: float = Field(default=2, gt=0, le=60)
    slow_ms: float = Field(default=50, gt=0)
    slow_fails: bool = False
    size: int = Field(default=32, ge=0, le=65500)

    def passes(self, verdict: str) -> bool:
        """Whether an attempt with this verdict passes the step."""
        return verdict == "ok" or (verdict == "slow" and not self.slow_fails)


class ToolsStep(Step):
    """Confirms the checklist's `tools` list item by item."""

    type: Literal["tools"]


class AttachmentStep(Step):
    """A photo or file; `accept` limits the file endings (e.g. `.jpg`)."""

    type: Literal["attachment"]
    accept: list[Annotated[str, Field(pattern=r"^\.[A-Za-z0-9]+$")]] | None = None


class SignatureStep(Step):
    """The customer's name; the time is recorded with the answer."""

    type: Literal["signature"]


class FollowupsStep(Step):
    """Problems raised, each with an owner and a due date (客户走访问题跟进表)."""

    type: Literal["followups"]


AnyStep = Annotated[
    InstructionStep
    | CheckStep
    | AnyRecord
    | PingStep
    | ToolsStep
    | AttachmentStep
    | SignatureStep
    | FollowupsStep,
    Field(discriminator="type"),
]


def can_fail(step: AnyStep) -> bool:
    """Whether an answer to the step can fail it; a plain reading is only recorded."""
    if isinstance(step, (InstructionStep, CheckStep, ToolsStep, PingStep)):
        return True
    if isinstance(step, NumberRecord):
        return step.expect is not None
    return isinstance(step, ChoiceRecord) and step.expect is not None


# --- the file ---------------------------------------------------------------------------------


class Checklist(StrictModel):
    """One checklist file."""

    schema_: int = Field(alias="schema", json_schema_extra={"const": SCHEMA_VERSION})
    id: str = Field(pattern=CHECKLIST_ID_PATTERN, max_length=64)
    version: str = Field(min_length=1)
    kind: Kind
    title: Text
    description: Text
    source: Text | None = None
    tools: list[ToolItem] = Field(default_factory=list)
    steps: list[AnyStep] = Field(min_length=1)

    @field_validator("schema_")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise _problem(
                f"schema {value} is not known: this fieldkit reads schema {SCHEMA_VERSION} "
                f"(write `schema: {SCHEMA_VERSION}` or upgrade fieldkit)"
            )
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: Any) -> Any:
        # `version: 1.10` would silently become 1.1; insist on quotes instead of guessing.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise _problem(f'write the version in quotes, e.g. version: "{value}"')
        return value

    def step(self, step_id: str) -> AnyStep | None:
        """The step with this id, or None."""
        return next((step for step in self.steps if step.id == step_id), None)

    def step_index(self, step_id: str) -> int | None:
        """The 0-based position of the step with this id, or None."""
        return next((i for i, step in enumerate(self.steps) if step.id == step_id), None)
