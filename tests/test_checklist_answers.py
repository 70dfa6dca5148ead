"""Answers typed at a prompt or read from an answers file: parsed, checked and judged."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from fieldkit.checklist.answers import AnswerError, parse_answer
from fieldkit.checklist.judging import display_answer, judge
from fieldkit.checklist.load import load_checklist
from fieldkit.checklist.models import AnyStep, Checklist
from fieldkit.paths import builtin_checklists_dir

CHECKLIST = """\
schema: 1
id: answers-demo
version: "1"
kind: turnup
title: {zh: 演示, en: Demo}
description: Demo
tools:
  - {id: power_meter, name: {zh: 光功率计, en: power meter}}
  - {id: laptop, name: {zh: 笔记本电脑, en: laptop}, quantity: 1}
steps:
  - {id: powered, type: instruction, title: Power on}
  - id: lights_ok
    type: check
    title: Lights OK?
    on_fail: {guidance: {zh: 检查电源, en: Check the power cord}, can_continue: false}
  - {id: gateway, type: record, input: ipv4, title: Gateway}
  - {id: mask, type: record, input: netmask, title: Mask}
  - id: rx_power
    type: record
    input: decimal
    unit: dBm
    title: Received power
    min: -50
    max: 10
    expect: {min: -27, max: -8}
    warn: {min: -25, max: -8}
  - {id: vlan, type: record, input: integer, title: VLAN, min: 1, max: 4094}
  - id: connector
    type: record
    input: choice
    title: Connector
    choices: [{value: FC}, {value: SC, label: {zh: SC口, en: SC port}}]
    expect: [SC]
  - id: alarms
    type: record
    input: multi_choice
    title: Alarms
    choices: [{value: los}, {value: power}, {value: temperature}]
  - {id: onu_sn, type: record, input: serial, title: SN, pattern: "^[A-Z0-9]{12}$"}
  - {id: note, type: record, input: text, title: Note, max_length: 5}
  - {id: visit_day, type: record, input: date, title: Day}
  - {id: arrived_at, type: record, input: datetime, title: Arrived}
  - {id: pack, type: tools, title: Pack}
  - {id: photo, type: attachment, title: Photo, accept: [.jpg, .png]}
  - {id: customer, type: signature, title: Customer}
  - {id: followups, type: followups, title: Follow-ups}
  - {id: ping_gateway, type: ping, title: Ping, target: gateway, mask: mask}
"""


@pytest.fixture(scope="module")
def checklist(tmp_path_factory: pytest.TempPathFactory) -> Checklist:
    path = tmp_path_factory.mktemp("answers") / "demo.yaml"
    path.write_text(CHECKLIST, encoding="utf-8")
    return load_checklist(path).checklist


def step(checklist: Checklist, step_id: str) -> AnyStep:
    found = checklist.step(step_id)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("step_id", "raw", "stored"),
    [
        ("powered", "y", True),
        ("powered", "done", True),
        ("powered", "not done", False),
        ("lights_ok", "是", True),
        ("lights_ok", "否", False),
        ("lights_ok", False, False),
        ("gateway", " 192.168.1.1 ", "192.168.1.1"),
        ("mask", "/24", "255.255.255.0"),
        ("mask", "24", "255.255.255.0"),
        ("mask", 30, "255.255.255.252"),
        ("mask", "255.255.0.0", "255.255.0.0"),
        ("rx_power", "-18.5", -18.5),
        ("rx_power", "−20 dBm", -20.0),
        ("vlan", "100", 100),
        ("vlan", 200, 200),
        ("connector", "sc", "SC"),
        ("connector", "1", "FC"),
        ("connector", "SC port", "SC"),
        ("alarms", "temperature, los", ["los", "temperature"]),
        ("alarms", ["power", "3"], ["power", "temperature"]),
        ("onu_sn", "ABCD12345678", "ABCD12345678"),
        ("visit_day", "2024-05-01", "2024-05-01"),
        ("arrived_at", "2024-05-01T14:30+08:00", "2024-05-01T14:30+08:00"),
        ("arrived_at", "2024-05-01T06:30:15Z", "2024-05-01T06:30:15+00:00"),
        ("pack", "", []),
        ("pack", "none", []),
        ("pack", "2", ["laptop"]),
        ("pack", ["laptop", "power_meter"], ["power_meter", "laptop"]),
        ("customer", " 王先生 ", "王先生"),
        ("followups", [], []),
        (
            "followups",
            [{"problem": "slow line", "owner": "Li", "due": "2024-06-01"}],
            [{"problem": "slow line", "owner": "Li", "due": "2024-06-01"}],
        ),
    ],
)
def test_good_answers_are_stored_normalised(
    checklist: Checklist, step_id: str, raw: object, stored: object
) -> None:
    assert parse_answer(step(checklist, step_id), raw, checklist) == stored


@pytest.mark.parametrize(
    ("step_id", "raw", "reason"),
    [
        ("powered", "maybe", "answer yes or no"),
        ("powered", "", "an answer is needed"),
        ("gateway", "192.168.1.256", "not an IPv4 address"),
        ("gateway", "0.0.0.0", "not a host address"),
        ("gateway", "224.0.0.1", "not a host address"),
        ("mask", "255.0.255.0", "not a subnet mask"),
        ("mask", "/33", "not a subnet mask"),
        ("mask", "2", "/2 (192.0.0.0) is wider than any customer LAN; a typo?"),
        ("mask", "/0", "/0 is every address, not a LAN"),
        ("mask", "0.0.0.0", "/0 is every address, not a LAN"),
        ("mask", "/31", "/31 (255.255.255.254) leaves no room for both the laptop and the gateway"),
        ("mask", "255.255.255.255", "/32 (255.255.255.255) leaves no room"),
        ("mask", "128.0.0.0", "/1 (128.0.0.0) is wider than any customer LAN"),
        ("mask", "0.0.0.255", "not a subnet mask"),
        ("rx_power", "-60", "out of range −50..10 dBm"),
        ("rx_power", "strong", "not a number"),
        ("rx_power", True, "expected a number"),
        ("rx_power", "nan", "not a number: nan (unexpected character 'n')"),
        ("rx_power", float("nan"), "finite"),
        ("vlan", "1.5", "whole number"),
        ("vlan", "5000", "out of range 1..4094"),
        ("connector", "LC", "not one of the choices: LC (choose FC, SC port, or 1..2)"),
        ("connector", "3", "not one of the choices"),
        ("connector", ["FC", "SC"], "choose exactly one"),
        ("onu_sn", "abcd12345678", "does not match the pattern ^[A-Z0-9]{12}$"),
        ("note", "too long", "too long: 8 characters, at most 5"),
        ("visit_day", "01/05/2024", "not a date: 01/05/2024"),
        ("pack", "hammer", "no tool hammer"),
        ("photo", "missing.jpg", "no such file"),
        ("photo", "notes.txt", "must end with .jpg, .png"),
        ("followups", "call back", "must be a list"),
        ("followups", [{"problem": "x", "owner": "y"}], "item 1 needs exactly the keys"),
        ("followups", [{"problem": "x", "owner": "y", "due": "soon"}], "item 1: due"),
        ("ping_gateway", "ok", "run, not answered"),
    ],
)
def test_bad_answers_are_refused_with_a_reason(
    checklist: Checklist, step_id: str, raw: object, reason: str
) -> None:
    with pytest.raises(AnswerError) as refused:
        parse_answer(step(checklist, step_id), raw, checklist)
    assert reason in str(refused.value)
    assert refused.value.reason.zh  # the walkthrough can ask again in Chinese too


def test_an_existing_attachment_with_an_accepted_ending_is_stored(
    checklist: Checklist, tmp_path: Path
) -> None:
    photo = tmp_path / "ODF.JPG"
    photo.write_bytes(b"\xff\xd8")
    assert parse_answer(step(checklist, "photo"), str(photo), checklist) == str(photo)


def test_a_folder_named_like_a_photo_is_refused_as_a_folder(
    checklist: Checklist, tmp_path: Path
) -> None:
    folder = tmp_path / "ODF.jpg"
    folder.mkdir()
    with pytest.raises(AnswerError, match="a folder, not a file"):
        parse_answer(step(checklist, "photo"), str(folder), checklist)


def test_a_time_without_a_zone_takes_the_laptops_zone(checklist: Checklist) -> None:
    stored = parse_answer(step(checklist, "arrived_at"), "2024-05-01 14:30", checklist)
    assert isinstance(stored, str)
    moment = datetime.fromisoformat(stored)
    assert moment.utcoffset() is not None
    assert moment.replace(tzinfo=None) == datetime(2024, 5, 1, 14, 30)


def test_now_is_read_from_the_given_clock(checklist: Checklist) -> None:
    clock = datetime(2024, 5, 1, 9, 5, tzinfo=timezone(timedelta(hours=8)))
    stored = parse_answer(step(checklist, "arrived_at"), "now", checklist, now=clock)
    assert isinstance(stored, str)
    assert datetime.fromisoformat(stored) == clock


@pytest.mark.parametrize(
    ("step_id", "value", "outcome", "reason"),
    [
        ("powered", True, "pass", None),
        ("powered", False, "fail", "not done"),
        ("lights_ok", False, "fail", "Check the power cord"),
        ("rx_power", -12.0, "pass", None),
        ("rx_power", -26.0, "warning", "−26 dBm passes but is outside the comfortable −25..−8 dBm"),
        ("rx_power", -30.0, "fail", "−30 dBm is outside −27..−8 dBm"),
        ("connector", "SC", "pass", None),
        ("connector", "FC", "fail", "FC is not among the passing choices (SC port)"),
        ("pack", [], "pass", None),
        ("pack", ["power_meter", "laptop"], "fail", "not packed: power meter, laptop"),
        ("gateway", "10.0.0.1", "pass", None),
    ],
)
def test_judge_says_pass_warning_or_fail(
    checklist: Checklist, step_id: str, value: object, outcome: str, reason: str | None
) -> None:
    judgement = judge(step(checklist, step_id), value, checklist)  # type: ignore[arg-type]
    assert judgement.outcome == outcome
    assert (judgement.reason.en if judgement.reason else None) == reason


def test_display_shows_labels_units_and_words(checklist: Checklist) -> None:
    assert display_answer(step(checklist, "connector"), "SC", "zh") == "SC口"
    assert display_answer(step(checklist, "rx_power"), -18.5, "en") == "−18.5 dBm"
    assert display_answer(step(checklist, "powered"), True, "zh") == "已完成"
    assert display_answer(step(checklist, "lights_ok"), False, "en") == "no"
    pack = step(checklist, "pack")
    assert display_answer(pack, ["power_meter"], "zh", checklist) == "光功率计"
    assert display_answer(pack, [], "en", checklist) == "everything packed"


def test_reasons_name_choices_and_tools_in_the_readers_language(checklist: Checklist) -> None:
    visit = load_checklist(builtin_checklists_dir() / "customer-visit.yaml").checklist
    failed = judge(step(visit, "satisfaction"), "dissatisfied", visit).reason
    assert failed is not None
    assert failed.zh == "不满意 不在合格项（满意、基本满意）之内"
    assert failed.en == (
        "dissatisfied is not among the passing choices (satisfied, mostly satisfied)"
    )
    with pytest.raises(AnswerError) as refused:
        parse_answer(step(visit, "satisfaction"), "很好", visit)
    assert refused.value.reason.zh == (
        "不是可选项：很好（可选：满意、基本满意、不满意，或序号 1..3）"
    )
    packed = judge(step(checklist, "pack"), ["laptop"], checklist).reason
    assert packed is not None and packed.zh == "未带：笔记本电脑"


@pytest.mark.parametrize("prefix", range(33))
def test_a_mask_is_accepted_only_when_a_customer_lan_can_use_it(
    checklist: Checklist, prefix: int
) -> None:
    """Every prefix, in both spellings: /8 to /30 are stored as the dotted mask, the rest refused
    with the reason (a LAN needs room for the laptop and the gateway; `2` is a typo)."""
    dotted = str(ipaddress.IPv4Network(f"0.0.0.0/{prefix}").netmask)
    for typed in (str(prefix), f"/{prefix}", dotted):
        if 8 <= prefix <= 30:
            assert parse_answer(step(checklist, "mask"), typed, checklist) == dotted
        else:
            with pytest.raises(AnswerError, match="a customer LAN mask is /8 to /30"):
                parse_answer(step(checklist, "mask"), typed, checklist)
