"""Hand-made visit records with known answers, for the report tests (no tests in here)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fieldkit.checklist.load import checklist_from_text
from fieldkit.records.models import (
    ChecklistSnapshot,
    Note,
    StepAnswer,
    VisitRecord,
    VisitStatus,
)
from fieldkit.text import Text
from fieldkit.walk.outcome import judge_visit

CHINA = timezone(timedelta(hours=8))
TODAY = date(2024, 6, 1)

TURNUP_YAML = """\
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
    title: {zh: 光电转换器通电, en: Power the converter}
  - id: ping_gateway
    type: ping
    title: {zh: ping 网关, en: Ping the gateway}
    target: gateway
"""

REPAIR_YAML = """\
schema: 1
id: mini-repair
version: "1.0"
kind: repair
title: {zh: 故障修复, en: Repair}
description: {zh: 测试用, en: for tests}
steps:
  - {id: fault_reported_at, type: record, title: reported, input: datetime}
  - id: business_category
    type: record
    title: category
    input: choice
    choices: [{value: bandwidth}, {value: industry_apps}, {value: navigator_ict},
              {value: number_800_4008}]
  - id: customer_class
    type: record
    title: class
    input: choice
    choices: [{value: industry_high_end}, {value: brand}]
  - {id: dispatched_at, type: record, title: dispatched, input: datetime}
  - {id: accepted_at, type: record, title: accepted, input: datetime}
  - {id: restored_at, type: record, title: restored, input: datetime}
  - {id: customer_confirmed_at, type: record, title: confirmed, input: datetime}
"""

VISIT_YAML = """\
schema: 1
id: mini-visit
version: "1.0"
kind: visit
title: {zh: 客户走访, en: Customer visit}
description: {zh: 测试用, en: for tests}
steps:
  - {id: contact_person, type: record, title: {zh: 接待人, en: Contact}, input: text}
  - {id: problems_raised, type: followups, title: {zh: 问题, en: Problems}}
  - {id: customer_signature, type: signature, title: {zh: 签名, en: Signature}}
"""

_SOURCES = {"turnup": TURNUP_YAML, "repair": REPAIR_YAML, "visit": VISIT_YAML}
_IDS = {"turnup": "mini-turnup", "repair": "mini-repair", "visit": "mini-visit"}
_counter = [0]


def snapshot(kind: str, source: str | None = None) -> ChecklistSnapshot:
    return ChecklistSnapshot.from_source(
        source or _SOURCES[kind], id=_IDS.get(kind, f"mini-{kind}"), version="1.0", kind=kind,
        title=Text(zh=_IDS.get(kind, kind), en=_IDS.get(kind, kind)),
    )


def visit_id(started: datetime) -> str:
    """Deterministic ids in the record format: UTC start second, then a counter."""
    _counter[0] += 1
    return f"{started.astimezone(timezone.utc):%Y%m%dT%H%M%S}Z-{_counter[0]:010d}"


def ping(verdict: str, target: str = "10.1.2.1") -> dict[str, Any]:
    return {
        "target": target,
        "address": target,
        "source": {"address": "10.1.2.10", "interface": "eth0"},
        "statistics": {"sent": 4, "received": 4 if verdict == "ok" else 0, "loss_pct": 0.0,
                       "avg_ms": 1.5, "max_ms": 2.0},
        "verdict": verdict,
        "seed_outcome": "normal" if verdict == "ok" else "failure_1",
        "started": "2024-05-06T09:10:00.000+08:00",
        "preflight": [{"message": f"Packets to {target} leave by eth0, from 10.1.2.10."}],
    }


def make(
    kind: str,
    *,
    started: datetime,
    minutes: float = 30,
    status: str = "completed",
    engineer: str = "李工",
    customer: str = "深圳某银行",
    site: str = "福田区深南大道 1 号",
    grade: str | None = "province",
    answers: list[StepAnswer] | None = None,
    source: str | None = None,
    order_type: str | None = None,
) -> VisitRecord:
    """A record of the mini checklist of `kind`, or of the checklist YAML `source`; the outcome
    is judged as the walk judges it."""
    answers = answers or []
    verdict = judge_visit(checklist_from_text(source or _SOURCES[kind], kind), answers)
    visit_status = VisitStatus(status)
    record = VisitRecord(
        engineer=engineer,
        customer=customer,
        site=site,
        order="GD-0001",
        grade=grade,
        order_type=order_type,
        visit_id=visit_id(started),
        fieldkit_version="0.1.0",
        checklist=snapshot(kind, source),
        started_at=started,
        finished_at=None if status == "in_progress" else started + timedelta(minutes=minutes),
        status=visit_status,
        abort_reason="客户不在" if status == "aborted" else None,
        outcome=verdict.outcome if status == "completed" else None,
        failed_steps=verdict.failed_steps if status == "completed" else [],
        findings=verdict.findings if status == "completed" else [],
        answers=answers,
    )
    return record if status == "in_progress" else record.sealed()


def turnup_answers(
    at: datetime, verdicts: list[str], *, power_ok: bool = True, gateway: str = "10.1.2.1"
) -> list[StepAnswer]:
    return [
        StepAnswer(step_id="gateway", step_type="record", value=gateway, answered_at=at),
        StepAnswer(
            step_id="converter_power", step_type="instruction", value=power_ok, passed=power_ok,
            answered_at=at, notes=[Note(text=f"客户 IP {gateway[:-1]}20 已配置", at=at)],
        ),
        StepAnswer(
            step_id="ping_gateway", step_type="ping", value=verdicts[-1],
            passed=verdicts[-1] == "ok", answered_at=at,
            ping_attempts=[ping(verdict, gateway) for verdict in verdicts],
        ),
    ]


def repair_answers(
    reported: datetime,
    minutes: dict[str, float],
    category: str | None = "bandwidth",
    customer_class: str | None = None,
) -> list[StepAnswer]:
    """Datetime answers at `minutes` after the fault was reported (fault_reported_at = 0),
    and the business category (and customer class) the repair's time limit depends on."""
    times = {"fault_reported_at": 0.0, **minutes}
    answers = [
        StepAnswer(
            step_id=step_id, step_type="record", answered_at=reported,
            value=(reported + timedelta(minutes=offset)).isoformat(),
        )
        for step_id, offset in times.items()
    ]
    choices = {"business_category": category, "customer_class": customer_class}
    answers[1:1] = [
        StepAnswer(step_id=step_id, step_type="record", answered_at=reported, value=value)
        for step_id, value in choices.items()
        if value is not None
    ]
    return answers


def visit_answers(at: datetime, contact: str, items: list[dict[str, str]]) -> list[StepAnswer]:
    return [
        StepAnswer(step_id="contact_person", step_type="record", value=contact, answered_at=at),
        StepAnswer(step_id="problems_raised", step_type="followups", value=items, answered_at=at),
        StepAnswer(
            step_id="customer_signature", step_type="signature", passed=True, answered_at=at,
            value={"name": contact, "signed_at": at.isoformat()},
        ),
    ]


def record_bytes(record: VisitRecord) -> bytes:
    """The file as the store writes it."""
    return json.dumps(record.model_dump(mode="json"), ensure_ascii=False, indent=2).encode()


def write(root: Path, record: VisitRecord, data: bytes | None = None) -> Path:
    folder = root / record.visit_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "visit.json"
    path.write_bytes(record_bytes(record) if data is None else data)
    return path


def edited(record: VisitRecord, **changes: Any) -> bytes:
    """The record's file after someone edited fields of a sealed record (digest kept)."""
    content = record.model_dump(mode="json")
    content.update(changes)
    return json.dumps(content, ensure_ascii=False).encode()


def at(day: int, hour: int = 9, minute: int = 0, zone: timezone = CHINA) -> datetime:
    return datetime(2024, 5, day, hour, minute, tzinfo=zone)
