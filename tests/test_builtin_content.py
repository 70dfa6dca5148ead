"""The built-in checklists say what the seed says, in both languages, and agree with the SLA."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from fieldkit.checklist.condition_models import StepCondition
from fieldkit.checklist.load import load_checklist
from fieldkit.checklist.models import (
    Checklist,
    CheckStep,
    ChoiceRecord,
    DateRecord,
    InstructionStep,
    NumberRecord,
    PingStep,
    RecordStep,
    SerialRecord,
)
from fieldkit.paths import builtin_checklists_dir, data_dir
from fieldkit.sla import load_sla
from fieldkit.text import Text

BUILTIN_FILES = sorted(builtin_checklists_dir().glob("*.yaml"))
CJK = re.compile(r"[\u4e00-\u9fff]")

LAN_STEP_IDS = [
    "data_team_ready",
    "customer_ip",
    "subnet_mask",
    "gateway",
    "pigtail_number",
    "pigtail_connector",
    "converter_power",
    "pigtail_on_odf",
    "pigtail_into_converter",
    "laptop_link",
    "ping_gateway",
    "customer_device",
]
SEED_PING_OUTCOMES = [
    "Reply from x.x.x.x bytes=32 time<50ms TTL=254",
    "Request time out",
    "Destination host unreachable",
    "Reply from 192.168.0.1: Destination host unreachable",
]
FAULT_TIME_IDS = [
    "fault_reported_at",
    "dispatched_at",
    "accepted_at",
    "arrived_at",
    "restored_at",
    "customer_confirmed_at",
]


def builtin(checklist_id: str) -> Checklist:
    return load_checklist(builtin_checklists_dir() / f"{checklist_id}.yaml").checklist


def texts(node: object) -> Iterator[Text]:
    """Every bilingual text anywhere in a model."""
    if isinstance(node, Text):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from texts(getattr(node, name))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from texts(item)


def test_the_five_builtins_are_there() -> None:
    assert {path.stem for path in BUILTIN_FILES} >= {
        "lan-turnup",
        "ftto-turnup",
        "room-inspection",
        "customer-visit",
        "fault-repair",
    }


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda path: path.stem)
def test_builtin_validates_and_its_id_names_the_file(path: Path) -> None:
    checklist = load_checklist(path).checklist
    assert checklist.id == path.stem


def assert_bilingual(model: BaseModel) -> None:
    for text in texts(model):
        if text.zh == text.en:
            # One string for both is only for names that are the same in both (PW, FC, LAN).
            assert not CJK.search(text.zh), f"{text.zh!r} has no English"
        else:
            assert CJK.search(text.zh), f"zh text {text.zh!r} is not Chinese"
            assert re.search("[A-Za-z]", text.en), f"en text {text.en!r} is not English"


def test_sla_texts_are_written_in_both_languages() -> None:
    assert_bilingual(load_sla())


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda path: path.stem)
def test_every_text_is_written_in_both_languages(path: Path) -> None:
    checklist = load_checklist(path).checklist
    assert_bilingual(checklist)
    for step in checklist.steps:
        assert step.help is not None or isinstance(step, RecordStep) or step.type == "signature"
        if isinstance(step, ChoiceRecord):
            assert all(choice.label is not None for choice in step.choices), step.id


_SENTENCE_END = tuple(".。:：;；!?！？)）")
_LIST_ITEM = re.compile(r"^[^:：]{1,40}[:：]")  # `Connection failure 1: ...`


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda path: path.stem)
def test_line_breaks_in_texts_fall_between_sentences_or_list_items(path: Path) -> None:
    # A break inside a sentence (YAML `|-` keeping the file's wrapping) shows as a ragged line
    # in `checklists show` and the walkthrough; prose is written with `>-` instead.
    for text in texts(load_checklist(path).checklist):
        for value in (text.zh, text.en):
            lines = value.split("\n")
            for line, following in itertools.pairwise(lines):
                between_items = _LIST_ITEM.match(line) and _LIST_ITEM.match(following)
                assert line.endswith(_SENTENCE_END) or between_items, (
                    f"line break inside a sentence: {line!r} / {following!r}"
                )


def test_lan_turnup_step_ids_are_the_public_contract() -> None:
    assert [step.id for step in builtin("lan-turnup").steps] == LAN_STEP_IDS


def test_lan_turnup_records_what_the_ping_needs() -> None:
    lan = builtin("lan-turnup")
    inputs = {step.id: step.input for step in lan.steps if isinstance(step, RecordStep)}
    assert inputs == {
        "customer_ip": "ipv4",
        "subnet_mask": "netmask",
        "gateway": "ipv4",
        "pigtail_number": "text",
        "pigtail_connector": "choice",
    }
    connector = lan.step("pigtail_connector")
    assert isinstance(connector, ChoiceRecord)
    assert [choice.value for choice in connector.choices] == ["FC", "SC"]
    ping = lan.step("ping_gateway")
    assert isinstance(ping, PingStep)
    assert (ping.target, ping.mask, ping.count, ping.timeout_s, ping.slow_ms) == (
        "gateway",
        "subnet_mask",
        4,
        2,
        50,
    )


def test_lan_turnup_seats_the_odf_pigtail_only_for_fc() -> None:
    odf = builtin("lan-turnup").step("pigtail_on_odf")
    assert odf is not None and isinstance(odf.when, StepCondition)
    assert (odf.when.step, odf.when.equals) == ("pigtail_connector", "FC")
    assert odf.help is not None and "若尾纤已成端为SC则省略此步骤" in odf.help.zh


def test_lan_turnup_lights_follow_the_seed() -> None:
    lan = builtin("lan-turnup")
    lights = {
        step.id: [(light.name.en, light.state) for light in step.lights]
        for step in lan.steps
        if isinstance(step, InstructionStep)
    }
    # The seed: PW and RLK 是否正常 (normal), LNK 是否长亮 (steady), ACT 是否正常: an Ethernet
    # ACT light is normal when it blinks with traffic.
    assert lights == {
        "converter_power": [("PW", "normal")],
        "pigtail_on_odf": [],
        "pigtail_into_converter": [("RLK", "normal")],
        "laptop_link": [("LNK", "steady")],
        "customer_device": [("LNK", "steady"), ("ACT on the customer device", "traffic")],
    }


def test_lan_turnup_quotes_the_seed() -> None:
    lan = builtin("lan-turnup")
    chinese = "\n".join(text.zh for text in texts(lan))
    for phrase in [
        "设维数据班",
        "ODF",
        "GJ箱",
        "光电转换器",
        "尾纤序号",
        "嗒一声",
        "在DOS状态下输入",
        "ping x.x.x.x",
        "PW灯",
        "RLK状态指示灯",
        "LNK灯是否长亮",
        "ACT状态指示灯",
    ]:
        assert phrase in chinese, phrase
    ready = lan.step("data_team_ready")
    assert isinstance(ready, CheckStep) and ready.help is not None
    quote = "第一步、确认设维数据班已完成局端光纤收发器、光纤、网线调测和局端数据制作。"
    assert quote in ready.help.zh
    assert "data team" in ready.help.en


def test_lan_turnup_stops_until_the_data_team_is_done() -> None:
    ready = builtin("lan-turnup").step("data_team_ready")
    assert isinstance(ready, CheckStep) and ready.on_fail is not None
    assert not ready.on_fail.can_continue
    assert "设维数据班" in ready.on_fail.guidance.zh
    assert "contact the data team" in ready.on_fail.guidance.en


def test_the_seeds_typo_is_quoted_as_written_and_corrected_in_a_comment() -> None:
    ping = builtin("lan-turnup").step("ping_gateway")
    assert ping is not None and ping.help is not None
    assert "在DOS状态下输入一下指令:ping x.x.x.x(网关IP地址),是否正常。" in ping.help.zh
    source = (builtin_checklists_dir() / "lan-turnup.yaml").read_text(encoding="utf-8")
    comments = "\n".join(line for line in source.splitlines() if line.lstrip().startswith("#"))
    assert "输入一下指令" in comments and "输入以下指令" in comments


SEED_QUOTE_ZH = "培训资料原文："
# A step number in a text either is the seed's own ("培训资料第三步", "the seed's step 3",
# "培训资料原文：第三步、") or comes from a `{step:id}` reference: never a number typed in.
ZH_STEP_NUMBER = re.compile(r"第[一二三四五六七八九十\d]+步")
EN_STEP_NUMBER = re.compile(r"\bstep \d+", re.IGNORECASE)


def raw_texts(node: object) -> Iterator[str]:
    """Every string of a YAML file's data, as written (step references not yet rendered),
    except `source`, which describes the seed document itself (its 第一步至第六步)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "source":
                yield from raw_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from raw_texts(item)


def _data_files() -> list[Path]:
    return [*BUILTIN_FILES, data_dir() / "ping_outcomes.yaml"]


@pytest.mark.parametrize("path", _data_files(), ids=lambda path: path.name)
def test_no_text_numbers_a_step_except_the_seeds_own_or_by_reference(path: Path) -> None:
    from fieldkit.yamlsafe import load_yaml

    for text in raw_texts(load_yaml(path).data):
        for match in ZH_STEP_NUMBER.finditer(text):
            before = text[: match.start()]
            assert before.endswith(("培训资料", SEED_QUOTE_ZH)), text
        for match in EN_STEP_NUMBER.finditer(text):
            assert text[: match.start()].endswith(("seed's ", "The seed's ")), text


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda path: path.stem)
def test_step_references_show_the_walks_number_of_the_step_named(path: Path) -> None:
    from fieldkit.checklist.step_refs import STEP_REFERENCE
    from fieldkit.yamlsafe import load_yaml

    checklist = load_checklist(path).checklist
    shown = "\n".join(text.zh + text.en for text in texts(checklist))
    assert "{step:" not in shown
    for raw in raw_texts(load_yaml(path).data):
        for match in STEP_REFERENCE.finditer(raw):
            number = checklist.step_index(match[1])
            assert number is not None, match[0]
            assert f"{number + 1}" in shown


def test_lan_turnup_help_names_the_walks_steps() -> None:
    lan = builtin("lan-turnup")
    ids = ("gateway", "pigtail_connector", "ping_gateway")
    gateway, connector, ping = (lan.step(step_id) for step_id in ids)
    assert gateway is not None and gateway.help is not None
    assert gateway.help.en == "Step 11 pings this gateway IP address."
    assert gateway.help.zh == "第11步将ping此网关IP地址。"
    assert connector is not None and connector.help is not None
    assert "step 8 (seating the FC connector" in connector.help.en
    assert ping is not None and ping.help is not None
    assert "the gateway recorded in step 4." in ping.help.en


def test_ping_help_lists_the_four_seed_outcomes_in_both_languages() -> None:
    ping = builtin("lan-turnup").step("ping_gateway")
    assert ping is not None and ping.help is not None
    for outcome in SEED_PING_OUTCOMES:
        assert outcome in ping.help.zh
        assert outcome in ping.help.en


def test_lan_turnup_tools_are_the_seeds_list_with_quantities() -> None:
    tools = {tool.id: tool.quantity for tool in builtin("lan-turnup").tools}
    assert tools == {
        "optical_power_meter": 1,
        "media_converter": 1,
        "converter_ac_chassis": 1,
        "flange_fc_fc": 2,
        "flange_fc_sc": 2,
        "flange_sc_sc": 2,
        "laptop": 1,
        "cat5_straight_cable": 1,
        "pigtail_fc_sc": 2,
        "pigtail_sc_sc": 2,
    }


def test_ftto_says_it_is_common_practice_with_gpon_thresholds() -> None:
    ftto = builtin("ftto-turnup")
    assert ftto.source is not None and "common operator practice" in ftto.source.en
    power = ftto.step("rx_power")
    assert isinstance(power, NumberRecord) and power.unit == "dBm"
    assert power.expect is not None and (power.expect.min, power.expect.max) == (-27, -8)
    assert power.warn is not None and (power.warn.min, power.warn.max) == (-25, -8)
    vlan = ftto.step("service_vlan")
    assert isinstance(vlan, NumberRecord) and (vlan.min, vlan.max) == (1, 4094)
    for check_id in ("pon_light", "los_light"):
        check = ftto.step(check_id)
        assert isinstance(check, CheckStep) and check.on_fail is not None
    ping = ftto.step("ping_gateway")
    assert isinstance(ping, PingStep) and ping.target == "gateway"


def test_ftto_loid_pattern_takes_an_sn_and_refuses_garbage() -> None:
    identifier = builtin("ftto-turnup").step("onu_loid_or_sn")
    assert isinstance(identifier, SerialRecord)
    assert re.fullmatch(identifier.pattern, "ZTEG1A2B3C4D")
    assert not re.fullmatch(identifier.pattern, "ZTEG 1A2B")


def test_room_inspection_bands_nest() -> None:
    room = builtin("room-inspection")
    for step_id, unit in (("room_temperature", "°C"), ("room_humidity", "%")):
        reading = room.step(step_id)
        assert isinstance(reading, NumberRecord) and reading.unit == unit
        assert reading.expect is not None and reading.warn is not None
        assert reading.min is not None and reading.max is not None
        assert reading.expect.min is not None and reading.expect.max is not None
        assert reading.warn.min is not None and reading.warn.max is not None
        assert reading.min <= reading.expect.min <= reading.warn.min
        assert reading.warn.max <= reading.expect.max <= reading.max


def test_customer_visit_satisfaction_passes_unless_dissatisfied() -> None:
    satisfaction = builtin("customer-visit").step("satisfaction")
    assert isinstance(satisfaction, ChoiceRecord)
    labels = {choice.value: choice.label_in("zh") for choice in satisfaction.choices}
    # The ids mean their labels (1.0 had very_satisfied = 满意, satisfied = 基本满意).
    assert labels == {"satisfied": "满意", "mostly_satisfied": "基本满意", "dissatisfied": "不满意"}
    assert satisfaction.expect == ["satisfied", "mostly_satisfied"]


def test_customer_visit_records_the_seeds_visit_modes_and_signs_only_on_site() -> None:
    visit = builtin("customer-visit")
    mode = visit.step("visit_mode")
    assert isinstance(mode, ChoiceRecord) and mode.help is not None
    labels = [choice.label_in("zh") for choice in mode.choices]
    assert labels == ["短信回访", "电话回访", "上门回访"]
    assert "短信、电话、上门回访" in mode.help.zh
    signature = visit.step("customer_signature")
    assert signature is not None and isinstance(signature.when, StepCondition)
    assert (signature.when.step, signature.when.equals) == ("visit_mode", "on_site")


def test_customer_visit_claims_no_seed_text_the_seed_does_not_hold() -> None:
    # The seed has the norm's table of contents only: no chapter text, no form fields.
    source = (builtin_checklists_dir() / "customer-visit.yaml").read_text(encoding="utf-8")
    header = "\n".join(line for line in source.splitlines() if line.startswith("#"))
    assert "follow the norm's chapter" not in header
    assert "table of contents" in header and "field practice" in header
    visit = builtin("customer-visit")
    assert visit.source is not None
    assert "field practice" in visit.source.en and "常用做法" in visit.source.zh


def test_fault_repair_records_the_six_times_in_order() -> None:
    repair = builtin("fault-repair")
    times = [
        step.id
        for step in repair.steps
        if isinstance(step, DateRecord) and step.input == "datetime"
    ]
    assert times == FAULT_TIME_IDS


def test_fault_repair_pings_after_recording_the_addresses() -> None:
    repair = builtin("fault-repair")
    order = [step.id for step in repair.steps]
    assert order.index("ping_gateway") > max(
        order.index(step_id) for step_id in ("customer_ip", "subnet_mask", "gateway")
    )


def test_sla_windows_run_between_fault_repair_times_and_its_help_quotes_them() -> None:
    repair = builtin("fault-repair")
    process = load_sla().fault_process
    assert {process.repair.start, process.repair.end} <= set(FAULT_TIME_IDS)
    for window in process.windows:
        assert {window.start, window.end} <= set(FAULT_TIME_IDS)
        end_step = repair.step(window.end)
        assert end_step is not None and end_step.help is not None
        assert f"{window.minutes}分钟" in end_step.help.zh, window.id
        assert f"{window.minutes} minutes" in end_step.help.en, window.id


def test_packing_check_carries_the_lan_turnup_list() -> None:
    packing = builtin("turnup-tools")
    assert packing.kind == "tools"
    assert [step.type for step in packing.steps] == ["tools"]
    assert packing.tools == builtin("lan-turnup").tools
    # The seed's list serves fault calls too; fault-repair adds only a fibre cleaner.
    fault_tools = builtin("fault-repair").tools
    assert fault_tools[:-1] == packing.tools and fault_tools[-1].id == "fibre_cleaner"



def _dbm_figures(text: str) -> set[int]:
    """Every negative dBm figure a text names (`-27 dBm`, `-8 至 -27 dBm`, `-8 to -27 dBm`)."""
    return {-int(n) for n in re.findall(r"[-−](\d+)(?= ?(?:dBm|至|to))", text)}


def test_ftto_received_power_is_one_practice_band_everywhere() -> None:
    ftto = builtin("ftto-turnup")
    power = ftto.step("rx_power")
    assert isinstance(power, NumberRecord) and power.expect and power.warn
    band = {power.expect.min, power.expect.max, power.warn.min}
    assert band == {-27, -8, -25}
    assert ftto.source is not None and power.help is not None
    for text in (ftto.source.zh, ftto.source.en, power.help.zh, power.help.en):
        assert _dbm_figures(text) <= band, text
        assert "27" in text and ("B+" in text)
    assert "practice" in power.help.en and "常用做法" in power.help.zh


def test_fault_repair_applies_the_received_power_band_of_the_access_type() -> None:
    repair = builtin("fault-repair")
    access = repair.step("access_type")
    assert isinstance(access, ChoiceRecord)
    assert [choice.value for choice in access.choices] == ["lan_p2p", "ftto_gpon"]
    bands = {}
    for step_id in ("rx_power_p2p", "rx_power_gpon"):
        step = repair.step(step_id)
        assert isinstance(step, NumberRecord) and isinstance(step.when, StepCondition)
        assert step.when.step == "access_type" and step.expect is not None and step.help
        assert "practice" in step.help.en and "常用做法" in step.help.zh
        bands[step.when.equals] = (step.expect, step.warn)
    ftto_power = builtin("ftto-turnup").step("rx_power")
    assert isinstance(ftto_power, NumberRecord)
    assert bands["ftto_gpon"] == (ftto_power.expect, ftto_power.warn)  # one GPON band
    assert bands["lan_p2p"] != bands["ftto_gpon"]
    assert repair.step_index("access_type") < repair.step_index("rx_power_p2p")  # type: ignore[operator]


def test_fault_repair_cause_list_is_marked_as_practice() -> None:
    cause = builtin("fault-repair").step("cause")
    assert isinstance(cause, ChoiceRecord) and cause.help is not None
    assert "field practice" in cause.help.en and "常用做法" in cause.help.zh


def test_room_inspection_records_the_cycle_and_the_next_due_date_before_signing() -> None:
    room = builtin("room-inspection")
    cycle, due = room.step("inspection_cycle"), room.step("next_inspection_due")
    assert isinstance(cycle, ChoiceRecord) and cycle.help is not None
    assert [c.value for c in cycle.choices] == ["monthly", "quarterly", "half_yearly", "yearly"]
    assert "巡查周期" in cycle.help.zh and "field practice" in cycle.help.en
    assert isinstance(due, DateRecord) and due.input == "date" and due.required
    order = [step.id for step in room.steps]
    assert order[-3:] == ["inspection_cycle", "next_inspection_due", "customer_signature"]
    source = (builtin_checklists_dir() / "room-inspection.yaml").read_text(encoding="utf-8")
    header = "\n".join(line for line in source.splitlines() if line.startswith("#"))
    assert "follow the norm's chapter" not in header and "table of contents" in header


# The seed's LAN turn-up steps, copied exactly from ../shared/seed/000_9c88d9c00414d5ec.txt
# (专线LAN及FTTO培训内容, 3)开通用户调测操作步骤).
SEED_LAN_STEPS = (Path(__file__).parent / "fixtures" / "seed-lan-turnup-steps.txt").read_text(
    encoding="utf-8"
)


def test_what_lan_turnup_calls_the_seeds_text_is_the_seeds_text_exactly() -> None:
    quoted = [text.zh for text in texts(builtin("lan-turnup")) if SEED_QUOTE_ZH in text.zh]
    assert len(quoted) == 8  # steps 1 (twice), 2, 3, 4, 5 (twice: the laptop, the ping), 6
    for text in quoted:
        for line in text.split(SEED_QUOTE_ZH, 1)[1].splitlines():
            # A quote cut at a comma of the seed ends with 。 here.
            assert line.strip().removesuffix("。") in SEED_LAN_STEPS, line
