"""Small visit records for the records tests (a tiny checklist, fixed visit fields)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fieldkit.records.models import (
    ChecklistSnapshot,
    Note,
    Outcome,
    StepAnswer,
    VisitFields,
    VisitRecord,
    VisitStatus,
)
from fieldkit.text import Text

CHECKLIST_YAML = """\
schema: 1
id: mini-turnup
version: "1.0"
kind: turnup
title: {zh: 小型开通, en: Mini turn-up}
description: {zh: 测试用, en: for tests}
steps:
  - id: gateway
    type: record
    title: {zh: 网关, en: Gateway}
    input: ipv4
  - id: converter_power
    type: instruction
    title: {zh: 通电, en: Power on}
  - id: ping_gateway
    type: ping
    title: {zh: 测试网关, en: Ping the gateway}
    target: gateway
"""

CHINA = timezone(timedelta(hours=8))


def snapshot(source_text: str = CHECKLIST_YAML) -> ChecklistSnapshot:
    return ChecklistSnapshot.from_source(
        source_text,
        id="mini-turnup",
        version="1.0",
        kind="turnup",
        title=Text(zh="小型开通", en="Mini turn-up"),
    )


def fields(customer: str = "深圳某银行") -> VisitFields:
    return VisitFields(
        engineer="李工",
        customer=customer,
        site="福田区深南大道 1 号",
        order="GD-2024-0001",
        order_type="new",
        grade="province",
    )


def ping_attempt(verdict: str = "ok") -> dict[str, object]:
    return {
        "target": "127.0.0.1",
        "backend": "ping3",
        "replies": [{"seq": 1, "rtt_ms": 0.05, "from": "127.0.0.1"}],
        "statistics": {"sent": 1, "received": 1, "loss_pct": 0.0},
        "verdict": verdict,
    }


def answers(at: datetime) -> list[StepAnswer]:
    return [
        StepAnswer(step_id="gateway", step_type="record", value="127.0.0.1", answered_at=at),
        StepAnswer(
            step_id="converter_power",
            step_type="instruction",
            value=True,
            passed=True,
            answered_at=at,
            notes=[Note(text="PW 灯亮 <ok>", at=at)],
        ),
        StepAnswer(
            step_id="ping_gateway",
            step_type="ping",
            value="ok",
            passed=True,
            answered_at=at,
            ping_attempts=[ping_attempt("timeout"), ping_attempt("ok")],
        ),
    ]


def completed(record: VisitRecord, at: datetime) -> VisitRecord:
    return record.model_copy(
        update={
            "answers": answers(at),
            "status": VisitStatus.COMPLETED,
            "outcome": Outcome.PASSED,
            "finished_at": at + timedelta(minutes=5),
        }
    )
