"""Write N realistic synthetic visit records into DIR, for the report benchmark and demos.

    .venv/bin/python benchmarks/make_records.py N DIR [--seed 1]

Records are built and sealed through the real models (fieldkit.records.models) from the
built-in checklists, with ping attempts from the ping engine's own JSON (PingResult.to_json),
so they read exactly like the walkthrough's. The mix: five checklists, twelve engineers,
three hundred customers over the last 26 weeks (time zone +08:00, a few laptops on UTC),
~88 % completed, 7 % in progress, 5 % aborted; ~0.5 % of the completed records are edited
after sealing (changed) and ~0.3 % of the files are broken (truncated or invalid).
Customer names, sites and addresses are invented. Nothing is sent on any network.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fieldkit import __version__
from fieldkit.checklist.load import checklist_from_text
from fieldkit.checklist.models import Checklist
from fieldkit.paths import builtin_checklists_dir
from fieldkit.ping.model import PingResult, Reply, ReplyError, Verdict
from fieldkit.records.identity import new_visit_id
from fieldkit.records.models import ChecklistSnapshot, Note, StepAnswer, VisitRecord, VisitStatus
from fieldkit.sla import builtin_sla
from fieldkit.text import Text
from fieldkit.walk.outcome import judge_visit
from fieldkit.yamlsafe import parse_yaml

CHECKLIST_MIX = {
    "lan-turnup": 40,
    "ftto-turnup": 15,
    "fault-repair": 20,
    "room-inspection": 10,
    "customer-visit": 15,
}
ENGINEERS = [
    "张伟", "王芳", "李娜", "刘洋", "陈杰", "杨磊", "赵敏", "黄强",
    "Zhou Min", "Wu Lei", "Xu Jing", "Sun Hao",
]
VERDICT_MIX = {
    Verdict.OK: 78, Verdict.SLOW: 5, Verdict.PARTIAL_LOSS: 4, Verdict.TIMEOUT: 7,
    Verdict.LOCAL_UNREACHABLE: 3, Verdict.REMOTE_UNREACHABLE: 2, Verdict.NO_ROUTE: 1,
}
BEIJING = timezone(timedelta(hours=8))
# The order mix of the seed's report (data/sla.yaml's reference shares).
ORDER_TYPES = [order.id for order in builtin_sla().order_types]
ORDER_SHARES = [order.reference_share_percent or 0 for order in builtin_sla().order_types]
_CITY_PARTS = [
    "福田区深南大道", "南山区科技园路", "罗湖区人民南路", "宝安区新安街道", "龙岗区龙城大道",
]
_PROBLEMS = ["机房温度偏高", "UPS 电池老化", "希望提升带宽", "Label cables"]
_TRADES = ["电子", "物流", "银行", "医院", "学校", "制造", "软件", "酒店"]


@dataclass(frozen=True)
class ChecklistSource:
    snapshot: ChecklistSnapshot
    steps: list[dict[str, Any]]
    checklist: Checklist  # to judge the outcome as the walk does


def load_checklists() -> dict[str, ChecklistSource]:
    sources = {}
    for checklist_id in CHECKLIST_MIX:
        path = builtin_checklists_dir() / f"{checklist_id}.yaml"
        text = path.read_text(encoding="utf-8")
        data = parse_yaml(text, str(path)).data
        snapshot = ChecklistSnapshot.from_source(
            text,
            id=data["id"],
            version=str(data["version"]),
            kind=data["kind"],
            title=Text.model_validate(data["title"]),
        )
        sources[checklist_id] = ChecklistSource(
            snapshot, data["steps"], checklist_from_text(text, str(path))
        )
    return sources


def customers(rng: random.Random) -> list[tuple[str, str, str]]:
    grades = [grade.id for grade in builtin_sla().grades]  # weighted group, province, local A-C
    return [
        (
            f"深圳市{rng.choice(_TRADES)}{index:03d}有限公司",
            f"深圳市{rng.choice(_CITY_PARTS)}{rng.randint(1, 9999)}号",
            rng.choices(grades, weights=[5, 10, 25, 35, 25])[0],
        )
        for index in range(300)
    ]


def ping_attempt(rng: random.Random, verdict: Verdict, gateway: str, when: datetime) -> dict:
    """One attempt as the ping engine's JSON, with replies that fit the verdict."""
    replies: list[Reply] = []
    for seq in range(1, 5):
        if verdict is Verdict.OK:
            replies.append(Reply(seq, rng.uniform(0.4, 8), from_address=gateway, ttl=254))
        elif verdict is Verdict.SLOW:
            replies.append(Reply(seq, rng.uniform(20, 140), from_address=gateway, ttl=254))
        elif verdict is Verdict.PARTIAL_LOSS and seq % 2:
            replies.append(Reply(seq, rng.uniform(1, 9), from_address=gateway, ttl=254))
        elif verdict is Verdict.LOCAL_UNREACHABLE:
            replies.append(Reply(seq, error=ReplyError.HOST_UNREACHABLE))
        elif verdict is Verdict.REMOTE_UNREACHABLE:
            replies.append(
                Reply(seq, error=ReplyError.HOST_UNREACHABLE, from_address="192.168.0.1")
            )
        elif verdict is Verdict.NO_ROUTE:
            replies.append(Reply(seq, error=ReplyError.NO_ROUTE))
        else:
            replies.append(Reply(seq, error=ReplyError.TIMEOUT))
    result = PingResult(
        target=gateway,
        address=gateway,
        backend="ping3",
        verdict=verdict,
        started=when,
        finished=when + timedelta(seconds=4),
        replies=replies,
        sent=4,
        count=4,
        interval_s=1,
        timeout_s=2,
        size=32,
        source_address=gateway.rsplit(".", 1)[0] + ".10",
        interface="eth0",
        router="192.168.0.1" if verdict is Verdict.REMOTE_UNREACHABLE else None,
    )
    return result.to_json(rng.choice(["zh", "en"]))  # type: ignore[arg-type]


class RecordMaker:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.checklists = load_checklists()
        self.customers = customers(self.rng)
        self.today = today

    def visit(self) -> tuple[VisitRecord, str]:
        """A sealed (or in-progress) record, and how it was damaged: '', 'changed' or 'broken'."""
        rng = self.rng
        checklist_id = rng.choices(list(CHECKLIST_MIX), weights=list(CHECKLIST_MIX.values()))[0]
        source = self.checklists[checklist_id]
        customer, site, grade = rng.choice(self.customers)
        engineer = rng.choice(ENGINEERS)
        zone = timezone.utc if engineer.startswith("Sun") else BEIJING
        day = self.today - timedelta(days=rng.randint(0, 181))
        started = datetime(day.year, day.month, day.day, rng.randint(8, 18), rng.randint(0, 59),
                           rng.randint(0, 59), tzinfo=zone)
        status = rng.choices(list(VisitStatus), weights=[7, 88, 5])[0]
        answers = self.answers(source, started, status)
        finished = None if status is VisitStatus.IN_PROGRESS else started + timedelta(
            minutes=rng.lognormvariate(3.7, 0.45)
        )
        completed = status is VisitStatus.COMPLETED
        verdict = judge_visit(source.checklist, answers)
        record = VisitRecord(
            engineer=engineer,
            customer=customer,
            site=site,
            order=f"SZ{started:%Y%m%d}{rng.randint(0, 9999):04d}",
            order_type=rng.choices(ORDER_TYPES, weights=ORDER_SHARES)[0],
            grade=grade,
            visit_id=new_visit_id(started),
            fieldkit_version=__version__,
            checklist=source.snapshot,
            started_at=started,
            finished_at=finished,
            status=status,
            abort_reason="客户现场不具备施工条件" if status is VisitStatus.ABORTED else None,
            outcome=verdict.outcome if completed else None,
            failed_steps=verdict.failed_steps if completed else [],
            findings=verdict.findings if completed else [],
            answers=answers,
        )
        if status is not VisitStatus.IN_PROGRESS:
            record = record.sealed()
        damage = rng.choices(["", "changed", "broken"], weights=[992, 5, 3])[0]
        if damage == "changed" and status is VisitStatus.IN_PROGRESS:
            damage = ""
        return record, damage

    def answers(
        self, source: ChecklistSource, started: datetime, status: VisitStatus
    ) -> list[StepAnswer]:
        rng = self.rng
        steps = source.steps
        if status is not VisitStatus.COMPLETED:
            steps = steps[: rng.randint(1, max(1, len(steps) - 1))]
        clock = started
        reported = started - timedelta(hours=rng.uniform(1, 30))
        answers: list[StepAnswer] = []
        gateway = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.1"
        for step in steps:
            clock += timedelta(seconds=rng.randint(20, 400))
            answers.append(self.answer(step, clock, gateway, reported))
        return answers

    def answer(
        self, step: dict[str, Any], when: datetime, gateway: str, reported: datetime
    ) -> StepAnswer:
        rng = self.rng
        step_id, step_type = step["id"], step["type"]
        fields: dict[str, Any] = {"step_id": step_id, "step_type": step_type, "answered_at": when}
        if "when" in step and rng.random() < 0.4:
            return StepAnswer(**fields, skipped=True, skip_reason="condition not met")
        if step_type in ("instruction", "check"):
            ok = rng.random() > (0.04 if step_type == "check" else 0.01)
            fields.update(value=ok, passed=ok)
        elif step_type == "ping":
            verdicts = []
            while True:
                verdict = rng.choices(list(VERDICT_MIX), weights=list(VERDICT_MIX.values()))[0]
                verdicts.append(verdict)
                if verdict is Verdict.OK or len(verdicts) == 3 or rng.random() < 0.3:
                    break
            fields.update(
                ping_attempts=[
                    ping_attempt(rng, verdict, gateway, when + timedelta(minutes=2 * index))
                    for index, verdict in enumerate(verdicts)
                ],
                passed=verdicts[-1] is Verdict.OK,
                value=verdicts[-1].value,
            )
        elif step_type == "followups":
            fields["value"] = [
                {
                    "problem": rng.choice(_PROBLEMS),
                    "owner": rng.choice(ENGINEERS),
                    "due": (when.date() + timedelta(days=rng.randint(3, 60))).isoformat(),
                }
                for _ in range(rng.choice([0, 0, 1, 1, 2]))
            ]
        elif step_type == "signature":
            fields.update(value={"name": rng.choice(["陈经理", "李主任", "Mr. Wang"]),
                                 "signed_at": when.isoformat()}, passed=True)
        elif step_type == "attachment":
            return StepAnswer(**fields, skipped=True, skip_reason="no camera")
        elif step_type == "tools":
            fields.update(value=[], passed=True)
        else:
            fields.update(self.record_value(step, when, gateway, reported))
        if rng.random() < 0.05:
            fields["notes"] = [Note(text=f"客户 IP {gateway[:-1]}20 已确认", at=when)]
        return StepAnswer(**fields)

    def record_value(
        self, step: dict[str, Any], when: datetime, gateway: str, reported: datetime
    ) -> dict[str, Any]:
        rng = self.rng
        kind = step.get("input")
        step_id = step["id"]
        if kind == "ipv4":
            return {"value": gateway if step_id == "gateway" else gateway[:-1] + "10"}
        if kind == "netmask":
            return {"value": "255.255.255.0"}
        if kind in ("integer", "decimal"):
            expect = step.get("expect") or {}
            low = expect.get("min", step.get("min", 0))
            high = expect.get("max", step.get("max", 100))
            value = rng.uniform(low - (high - low) * 0.1, high + (high - low) * 0.05)
            value = max(step.get("min", value), min(step.get("max", value), value))
            value = round(value) if kind == "integer" else round(value, 1)
            passed = None if not expect else low <= value <= high
            return {"value": value, "unit": step.get("unit"), "passed": passed}
        if kind == "choice":
            return {"value": rng.choice(step["choices"])["value"]}
        if kind == "multi_choice":
            return {"value": [choice["value"] for choice in step["choices"][:2]]}
        if kind == "datetime":
            offsets = {
                "fault_reported_at": 0, "dispatched_at": rng.uniform(0.05, 0.35),
                "accepted_at": rng.uniform(0.3, 1.1), "arrived_at": rng.uniform(1, 4),
                "restored_at": rng.uniform(2, 60), "customer_confirmed_at": rng.uniform(2.1, 60.3),
            }
            moment = reported + timedelta(hours=offsets.get(step_id, 0))
            if step_id == "customer_confirmed_at":
                moment = max(moment, reported + timedelta(hours=offsets["restored_at"]))
            return {"value": moment.isoformat(timespec="seconds")}
        if kind == "date":
            return {"value": (when.date() - timedelta(days=rng.randint(0, 300))).isoformat()}
        if kind == "serial":
            return {"value": "".join(rng.choice("0123456789ABCDEF") for _ in range(12))}
        return {"value": rng.choice(["正常", "已完成", "OK", "customer satisfied"])}


def record_bytes(record: VisitRecord) -> bytes:
    """The file as the store writes it (indented UTF-8 JSON)."""
    return json.dumps(record.model_dump(mode="json"), ensure_ascii=False, indent=2).encode("utf-8")


def damaged_bytes(record: VisitRecord, damage: str, rng: random.Random) -> bytes:
    if damage == "changed":  # someone edited a sealed record: the digest no longer matches
        content = record.model_dump(mode="json")
        content["engineer"] = content["engineer"] + " (edited)"
        return json.dumps(content, ensure_ascii=False, indent=2).encode("utf-8")
    data = record_bytes(record)
    if rng.random() < 0.5:
        return data[: len(data) // 2]  # a truncated copy
    content = json.loads(data)
    content["status"] = "finished"  # not a status the model knows
    return json.dumps(content, ensure_ascii=False).encode("utf-8")


def make_records(count: int, folder: Path, seed: int = 1, today: date | None = None) -> dict:
    maker = RecordMaker(seed, today or date.today())
    damaged = {"changed": 0, "broken": 0}
    for _ in range(count):
        record, damage = maker.visit()
        visit_dir = folder / record.engineer.replace(" ", "_") / record.visit_id
        visit_dir.mkdir(parents=True, exist_ok=True)
        data = damaged_bytes(record, damage, maker.rng) if damage else record_bytes(record)
        (visit_dir / "visit.json").write_bytes(data)
        if damage:
            damaged[damage] += 1
    return damaged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    damaged = make_records(args.count, args.folder, args.seed)
    sys.stderr.write(
        f"wrote {args.count} records to {args.folder} in {time.perf_counter() - started:.1f} s "
        f"({damaged['changed']} changed, {damaged['broken']} broken)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
