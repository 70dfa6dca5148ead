"""A checklist that uses every derived value the checklist language has, for the binding tests.

Each later step depends on earlier answers in one way: a ping's target, mask and own_ip (and
the gateway record, checked against the customer IP and mask), and a `when`
of every kind (equals on a yes/no, a choice and a multi-choice, one_of, a number range, all,
any, not). `DEPENDENT` names, for each kind, the earlier step to change and the later step whose
result must then be done again.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fieldkit.checklist.conditions import holds, named_steps
from fieldkit.checklist.load import LoadedChecklist, load_checklist
from fieldkit.checklist.models import AnyStep, Checklist, CheckStep, InstructionStep, PingStep
from fieldkit.records.models import StepAnswer, VisitRecord

EVERY_DEPENDENCY = """\
schema: 1
id: every-dependency
version: "1.0"
kind: turnup
title: {zh: 全部依赖, en: Every dependency}
description: {zh: 测试用, en: for tests}
steps:
  - id: customer_ip
    type: record
    title: {zh: 客户IP, en: Customer IP}
    input: ipv4
  - id: subnet_mask
    type: record
    title: {zh: 掩码, en: Mask}
    input: netmask
  - id: gateway
    type: record
    title: {zh: 网关, en: Gateway}
    input: ipv4
  - id: connector
    type: record
    title: {zh: 接头, en: Connector}
    input: choice
    choices: [{value: FC}, {value: SC}, {value: LC}]
  - id: faults
    type: record
    title: {zh: 故障, en: Faults}
    input: multi_choice
    choices: [{value: los}, {value: dirty}, {value: bent}]
  - id: rx_power
    type: record
    title: {zh: 收光, en: Received power}
    input: decimal
    unit: dBm
    min: -50
    max: 10
  - id: powered
    type: check
    title: {zh: 通电, en: Powered}
  - id: ping_gateway
    type: ping
    title: {zh: ping网关, en: Ping the gateway}
    target: gateway
    mask: subnet_mask
    own_ip: customer_ip
    count: 2
  - id: when_equals_check
    type: instruction
    title: {zh: 检查通电后, en: After power}
    when: {step: powered, equals: true}
  - id: when_equals_choice
    type: instruction
    title: {zh: FC 接头, en: FC connector}
    when: {step: connector, equals: FC}
  - id: when_one_of
    type: record
    title: {zh: 接头备注, en: Connector remark}
    input: text
    when: {step: connector, one_of: [FC, SC]}
  - id: when_multi
    type: instruction
    title: {zh: 清洁, en: Clean}
    when: {step: faults, equals: dirty}
  - id: when_range
    type: record
    title: {zh: 光衰, en: Attenuation}
    input: decimal
    when: {step: rx_power, min: -25, max: -8}
  - id: when_all
    type: check
    title: {zh: 全部, en: All}
    when: {all: [{step: powered, equals: true}, {step: rx_power, min: -30}]}
  - id: when_any
    type: check
    title: {zh: 任一, en: Any}
    when: {any: [{step: connector, equals: LC}, {step: faults, one_of: [los, bent]}]}
  - id: when_not
    type: instruction
    title: {zh: 非, en: Not}
    when: {not: {step: connector, equals: LC}}
"""

# Answers that show every step (and pass every check).
ANSWERS: dict[str, object] = {
    "customer_ip": "192.0.2.10",
    "subnet_mask": "/24",
    "gateway": "192.0.2.1",
    "connector": "FC",
    "faults": ["dirty", "los"],
    "rx_power": -20,
    "powered": True,
    "when_equals_check": True,
    "when_equals_choice": True,
    "when_one_of": "clean and tight",
    "when_multi": True,
    "when_range": 3.5,
    "when_all": True,
    "when_any": True,
    "when_not": True,
}

# (earlier step, new answer that keeps the later step shown, later step that used it)
STILL_SHOWN: list[tuple[str, object, str]] = [
    ("gateway", "192.0.2.2", "ping_gateway"),
    ("subnet_mask", "/25", "ping_gateway"),
    ("customer_ip", "192.0.2.11", "ping_gateway"),
    ("subnet_mask", "/25", "gateway"),  # the gateway was checked against the subnet
    ("customer_ip", "192.0.2.11", "gateway"),
    ("connector", "SC", "when_one_of"),
    ("faults", ["dirty"], "when_multi"),
    ("rx_power", -10, "when_range"),
    ("rx_power", -11, "when_all"),
    ("faults", ["bent"], "when_any"),
    ("connector", "SC", "when_not"),
]

# (earlier step, new answer that hides the later step, later step that used it)
NOW_HIDDEN: list[tuple[str, object, str]] = [
    ("powered", False, "when_equals_check"),
    ("connector", "SC", "when_equals_choice"),
    ("connector", "LC", "when_one_of"),
    ("faults", ["los"], "when_multi"),
    ("rx_power", -30, "when_range"),
    ("rx_power", -31, "when_all"),
    ("faults", ["dirty"], "when_any"),
    ("connector", "LC", "when_not"),
]


def every_dependency(folder: Path) -> LoadedChecklist:
    path = folder / "every-dependency.yaml"
    path.write_text(EVERY_DEPENDENCY, encoding="utf-8")
    return load_checklist(path)


def current_values(record: VisitRecord) -> dict[str, Any]:
    return {
        entry.step_id: entry.value
        for entry in record.answers
        if entry.answered_at is not None and not entry.skipped and entry.value is not None
    }


def has_result(entry: StepAnswer) -> bool:
    return bool(entry.ping_attempts) or entry.answered_at is not None


def dependencies(step: AnyStep) -> set[str]:
    names = set(named_steps(step.when)) if step.when is not None else set()
    if isinstance(step, PingStep):
        names |= {step.target, *(name for name in (step.mask, step.own_ip) if name)}
    return names


def assert_record_tells_the_truth(record: VisitRecord, checklist: Checklist) -> None:
    """The record's invariants: every current result matches the inputs it was computed from,
    is shown only when its `when` holds, passed follows from the answer, history is dated."""
    values = current_values(record)
    seen: dict[str, Any] = {}
    for entry in record.answers:
        step = checklist.step(entry.step_id)
        assert step is not None
        if has_result(entry):
            # Every result matches the inputs it was computed from.
            assert entry.inputs is not None, entry.step_id
            assert dependencies(step) <= set(entry.inputs), entry.step_id
            for name, used in entry.inputs.items():
                assert values.get(name) == used, (entry.step_id, name, used, values.get(name))
            if isinstance(step, PingStep):
                assert {a["target"] for a in entry.ping_attempts} <= {values.get(step.target)}
            if step.when is not None and not entry.skipped:
                assert holds(step.when, seen), entry.step_id  # shown only when its when holds
        if entry.answered_at is not None and not entry.skipped:
            # What passed follows from the answer itself.
            if isinstance(step, PingStep):  # own_address is never a pass
                verdict = entry.ping_attempts[-1]["verdict"]
                assert entry.passed == step.passes(verdict)
                assert not (entry.passed and verdict == "own_address")
            elif isinstance(step, (InstructionStep, CheckStep)):
                assert entry.passed is entry.value
        for old in entry.superseded:
            assert old.reason.strip() and old.superseded_at >= record.started_at
            assert old.answered_at is None or old.answered_at <= old.superseded_at
        if entry.answered_at is not None:
            assert record.started_at <= entry.answered_at  # no negative duration
        if entry.answered_at is not None and not entry.skipped and entry.value is not None:
            seen[entry.step_id] = entry.value
    for attempt in (a for entry in record.answers for a in entry.ping_attempts):
        assert datetime.fromisoformat(attempt["started"]) <= datetime.fromisoformat(
            attempt["finished"]
        )
