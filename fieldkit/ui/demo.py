"""`fieldkit demo`: the built-in LAN turn-up walked with sample answers typed into the real
screens (or fed as an answers file when stdout is not a terminal), pinging 127.0.0.1.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Console

from fieldkit.lang import Lang
from fieldkit.records.models import VisitFields, VisitRecord
from fieldkit.records.store import RecordStore
from fieldkit.sla import builtin_sla
from fieldkit.ui.prompts import Keyboard
from fieldkit.ui.session import SessionEnvironment, real_ping, walk_to_the_end
from fieldkit.ui.texts import say
from fieldkit.walk.answers_file import AnswersFile

DEMO_ANSWERS: dict[str, Any] = {
    "data_team_ready": True,
    "customer_ip": "127.0.0.2",
    "subnet_mask": "255.0.0.0",
    "gateway": "127.0.0.1",
    "pigtail_number": "GJ-07/12",
    "pigtail_connector": "FC",
    "converter_power": True,
    "pigtail_on_odf": True,
    "pigtail_into_converter": True,
    "laptop_link": True,
    "customer_device": True,
}


class ScriptedKeyboard:
    """Types the demo's sample answers into the real screens, with a short pause for the eye."""

    def __init__(self, console: Console, answers: dict[str, Any], pause_s: float) -> None:
        self.console = console
        self.answers = answers
        self.pause_s = pause_s

    def ask(self, prompt: str, key: str) -> str:
        value = self.answers.get(key, "")
        if key.startswith("ping-failed:"):
            value = (
                "f"  # no network needed: a failed loopback ping is recorded and the demo goes on
            )
        text = ("y" if value else "n") if isinstance(value, bool) else str(value)
        time.sleep(self.pause_s)
        self.console.print(f"[bold]{prompt}[/] › [cyan]{text}[/]")
        return text


def demo_visit(records: Path, lang: Lang, env: SessionEnvironment) -> tuple[VisitRecord, int]:
    """Walk the built-in LAN turn-up with sample answers, pinging 127.0.0.1 for real."""
    from fieldkit import yamlsafe
    from fieldkit.checklist.registry import open_checklist
    from fieldkit.walk.visit import start_walk

    console = env.console
    console.print(say("demo_records", lang, folder=records))
    console.print(say("demo_loopback", lang, gateway=DEMO_ANSWERS["gateway"]), style="yellow")
    store = RecordStore(records, clock=env.now)
    sla = builtin_sla()
    fields = VisitFields(
        engineer="李工 (demo)",
        customer="深圳某银行 (demo)",
        site="福田区深南大道 1 号",
        order="DEMO-0001",
        order_type=sla.order_types[0].id,  # sample values from data/sla.yaml, whatever it lists
        grade=sla.grades[-1].id,
    )
    walk = start_walk(
        store, open_checklist("lan-turnup"), fields, ping=real_ping(), lang=lang, clock=env.now
    )
    if console.is_terminal:
        keyboard: Keyboard | None = ScriptedKeyboard(console, DEMO_ANSWERS, pause_s=0.15)
        answers = None
    else:
        import json

        keyboard = None
        loaded = yamlsafe.parse_yaml(json.dumps(DEMO_ANSWERS), "demo answers", as_json=True)
        answers = AnswersFile(loaded, answers=dict(DEMO_ANSWERS))
    code = walk_to_the_end(walk, console, keyboard, answers)
    return walk.record, code
