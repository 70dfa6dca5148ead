"""What every pydantic model of the checklist language shares: the strict, frozen base class
and the step-id type. models.py (steps, the checklist file) and condition_models.py (`when`)
build on it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from fieldkit.checklist.ids import STEP_ID_PATTERN

StepId = Annotated[str, Field(pattern=STEP_ID_PATTERN, max_length=64)]


class StrictModel(BaseModel):
    """Unknown keys refused, instances frozen, no NaN or infinity."""

    # NaN or infinity as a bound (`min: .nan`) would let every comparison pass or fail silently.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
