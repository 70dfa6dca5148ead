"""Pydantic models of `when` conditions, the small language a step uses to depend on earlier
answers (see docs/checklist-language.md): a test on one step's answer, or `all`, `any` and `not`
over conditions. conditions.py evaluates and describes them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag

from fieldkit.checklist.model_base import StepId, StrictModel

# A value a condition compares an answer with.
Scalar = bool | int | float | str


class StepCondition(StrictModel):
    """Holds when the answer of an earlier step equals a value, is one of values, or is in a range.

    For a multi_choice step, `equals` holds when that value is among the chosen ones and `one_of`
    when any chosen value is listed. A range gives `min`, `max` or both (bounds included).
    """

    step: StepId
    equals: Scalar | None = None
    one_of: list[Scalar] | None = Field(default=None, min_length=1)
    min: float | None = None
    max: float | None = None

    @property
    def test_count(self) -> int:
        """How many of the three tests are given; a loaded checklist always has exactly one."""
        tests = [self.equals is not None, self.one_of is not None]
        tests.append(self.min is not None or self.max is not None)
        return sum(tests)


class AllCondition(StrictModel):
    """Holds when every condition in the list holds."""

    all: list[Condition] = Field(min_length=1)


class AnyCondition(StrictModel):
    """Holds when at least one condition in the list holds."""

    any: list[Condition] = Field(min_length=1)


class NotCondition(StrictModel):
    """Holds when the inner condition does not."""

    not_: Condition = Field(alias="not")


# Tags appear in pydantic error locations; they must never equal a YAML key (like `step`), or
# the location would point at the wrong line.
_CONDITION_TAGS: dict[str, str] = {
    "all": "all-condition",
    "any": "any-condition",
    "not": "not-condition",
    "step": "step-condition",
}


def _condition_kind(value: Any) -> str:
    """Pick the condition class from its keys, so errors name one class and not all four."""
    if isinstance(value, dict):
        key = next((key for key in ("all", "any", "not") if key in value), "step")
    else:
        kinds: dict[type, str] = {AllCondition: "all", AnyCondition: "any", NotCondition: "not"}
        key = kinds.get(type(value), "step")
    return _CONDITION_TAGS[key]


Condition = Annotated[
    Annotated[StepCondition, Tag(_CONDITION_TAGS["step"])]
    | Annotated[AllCondition, Tag(_CONDITION_TAGS["all"])]
    | Annotated[AnyCondition, Tag(_CONDITION_TAGS["any"])]
    | Annotated[NotCondition, Tag(_CONDITION_TAGS["not"])],
    Discriminator(_condition_kind),
]

for _model in (AllCondition, AnyCondition, NotCondition, StepCondition):
    _model.model_rebuild()
