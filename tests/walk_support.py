"""Helpers for the walkthrough tests: a scripted ping and the checklists walked."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fieldkit.checklist.load import LoadedChecklist, load_checklist
from fieldkit.paths import builtin_checklists_dir
from fieldkit.ping.model import Finding, PingResult, Reply, ReplyError, Verdict
from fieldkit.ui.demo import DEMO_ANSWERS

LAN_TURNUP = builtin_checklists_dir() / "lan-turnup.yaml"

# The LAN turn-up answered to the end (FC pigtail, loopback addresses): the demo's answers.
LAN_ANSWERS: dict[str, object] = dict(DEMO_ANSWERS)

# A turn-up with a quick ping (the built-in one waits a second between echoes).
QUICK_TURNUP = """\
schema: 1
id: quick-turnup
version: "1.0"
kind: turnup
title: {zh: 快速开通, en: Quick turn-up}
description: {zh: 测试用, en: for tests}
steps:
  - id: gateway
    type: record
    title: {zh: 网关, en: Gateway}
    input: ipv4
  - id: cabled
    type: instruction
    title: {zh: 接线, en: Cable it}
  - id: ping_gateway
    type: ping
    title: {zh: ping 网关, en: Ping the gateway}
    target: gateway
    count: 2
    interval_s: 0.1
    timeout_s: 1
  - id: remarks
    type: record
    title: {zh: 备注, en: Remarks}
    input: text
    required: false
"""

SMALL_CHECKLIST = """\
schema: 1
id: small-walk
version: "1.0"
kind: inspection
title: {zh: 小检查, en: Small walk}
description: {zh: 测试用, en: for tests}
steps:
  - id: room_temperature
    type: record
    title: {zh: 机房温度, en: Room temperature}
    input: decimal
    unit: °C
    min: -40
    max: 80
    expect: {min: 10, max: 30}
    warn: {min: 15, max: 28}
  - id: comments
    type: record
    title: {zh: 备注, en: Comments}
    input: text
    required: false
  - id: power_ok
    type: check
    title: {zh: 电源正常, en: Power is fine}
    on_fail:
      guidance: {zh: 先修电源, en: Fix the power first}
      can_continue: false
  - id: photo
    type: attachment
    title: {zh: 照片, en: Photo}
    accept: [.jpg, .png]
    required: false
  - id: done
    type: instruction
    title: {zh: 收尾, en: Clean up}
"""


def lan_turnup() -> LoadedChecklist:
    return load_checklist(LAN_TURNUP)


def small_checklist(folder: Path) -> LoadedChecklist:
    path = folder / "small-walk.yaml"
    path.write_text(SMALL_CHECKLIST, encoding="utf-8")
    return load_checklist(path)


class ScriptedPing:
    """A ping function that answers with the given verdicts in turn and remembers its calls."""

    def __init__(self, verdicts: Iterable[str] = ("ok",)) -> None:
        self._verdicts = list(verdicts)
        self.calls: list[dict[str, object]] = []

    def __call__(
        self,
        target: str,
        *,
        count: int,
        interval_s: float,
        timeout_s: float,
        size: int,
        slow_ms: float,
        mask: str | None,
        on_reply: Callable[[Reply], None] | None,
        on_preflight: Callable[[list[Finding]], None] | None = None,
        until_certain: bool = False,
    ) -> PingResult:
        self.calls.append({"target": target, "mask": mask, "count": count})
        verdict = Verdict(self._verdicts.pop(0) if len(self._verdicts) > 1 else self._verdicts[0])
        started = datetime.now(timezone.utc)
        replies = []
        for seq in range(1, count + 1):
            if verdict is Verdict.OK:
                reply = Reply(seq=seq, rtt_ms=0.5, from_address=target, ttl=64)
            elif verdict is Verdict.SLOW:  # every reply in, the last one slow
                rtt = slow_ms + 12 if seq == count else 0.5
                reply = Reply(seq=seq, rtt_ms=rtt, from_address=target, ttl=64)
            else:
                reply = Reply(seq=seq, error=ReplyError.TIMEOUT)
            replies.append(reply)
            if on_reply is not None:
                on_reply(reply)
        return PingResult(
            target=target,
            address=target,
            backend="scripted",
            verdict=verdict,
            started=started,
            finished=started + timedelta(seconds=count),
            replies=replies,
            sent=count,
            count=count,
            timeout_s=timeout_s,
            slow_ms=slow_ms,
        )
