"""`when` conditions: evaluated as data against earlier answers, and described for people."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from fieldkit.checklist.condition_models import Condition
from fieldkit.checklist.conditions import describe, holds, skip_reason

parse = TypeAdapter(Condition).validate_python


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        ({"step": "connector", "equals": "FC"}, {"connector": "FC"}, True),
        ({"step": "connector", "equals": "FC"}, {"connector": "SC"}, False),
        ({"step": "connector", "equals": "FC"}, {}, False),
        ({"step": "connector", "equals": "FC"}, {"connector": None}, False),
        ({"step": "grade", "one_of": ["group", "province"]}, {"grade": "province"}, True),
        ({"step": "grade", "one_of": ["group", "province"]}, {"grade": "local_a"}, False),
        ({"step": "rx", "min": -25, "max": -8}, {"rx": -25}, True),
        ({"step": "rx", "min": -25, "max": -8}, {"rx": -25.5}, False),
        ({"step": "rx", "min": -25}, {"rx": 3}, True),
        ({"step": "rx", "max": -8}, {"rx": -7.9}, False),
        ({"step": "rx", "min": 0}, {"rx": "high"}, False),
        ({"step": "powered", "equals": True}, {"powered": True}, True),
        ({"step": "powered", "equals": True}, {"powered": 1}, False),
        ({"step": "vlan", "equals": 100}, {"vlan": 100.0}, True),
        ({"step": "alarms", "equals": "los"}, {"alarms": ["power", "los"]}, True),
        ({"step": "alarms", "one_of": ["fan"]}, {"alarms": ["power", "los"]}, False),
        ({"not": {"step": "connector", "equals": "SC"}}, {"connector": "FC"}, True),
        ({"not": {"step": "connector", "equals": "SC"}}, {}, True),
        (
            {"all": [{"step": "a", "equals": True}, {"step": "b", "equals": "x"}]},
            {"a": True, "b": "x"},
            True,
        ),
        (
            {"all": [{"step": "a", "equals": True}, {"step": "b", "equals": "x"}]},
            {"a": True, "b": "y"},
            False,
        ),
        (
            {"any": [{"step": "a", "equals": True}, {"step": "b", "equals": "x"}]},
            {"a": False, "b": "x"},
            True,
        ),
    ],
)
def test_holds(condition: dict[str, Any], answers: dict[str, Any], expected: bool) -> None:
    assert holds(parse(condition), answers) is expected


def test_a_skip_reason_is_the_negated_condition() -> None:
    condition = parse({"step": "pigtail_connector", "equals": "FC"})
    assert describe(condition, "en") == "pigtail_connector = FC"
    assert skip_reason(condition, "en") == "pigtail_connector ≠ FC"


def test_negation_reads_naturally_in_both_languages() -> None:
    condition = parse(
        {
            "all": [
                {"step": "connector", "one_of": ["FC", "LC"]},
                {"not": {"step": "rx", "min": -25, "max": -8}},
                {"any": [{"step": "a", "equals": True}, {"step": "b", "max": 3}]},
            ]
        }
    )
    assert describe(condition, "en") == (
        "connector is one of FC, LC and rx is outside −25..−8 and (a = yes or b ≤ 3)"
    )
    assert skip_reason(condition, "en") == (
        "connector is not one of FC, LC or −25 ≤ rx ≤ −8 or (a ≠ yes and b > 3)"
    )
    assert skip_reason(condition, "zh") == (
        "connector 不是 FC、LC 之一 或 −25 ≤ rx ≤ −8 或 (a ≠ 是 且 b > 3)"
    )
