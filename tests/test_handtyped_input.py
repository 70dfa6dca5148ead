"""Input as a Chinese engineer types it: full-width forms, units, Chinese dates, and refusals that
name the character that is wrong. One table of inputs and the values stored from them."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldkit.checklist.answers import AnswerError, parse_answer
from fieldkit.checklist.handtyped import dragged_path, fold_width
from fieldkit.checklist.load import checklist_from_text
from fieldkit.checklist.models import AnyStep, Checklist

CHECKLIST = """\
schema: 1
id: handtyped
version: "1"
kind: turnup
title: Typed by hand
description: Every input type an engineer answers
tools:
  - {id: power_meter, name: {zh: 光功率计, en: power meter}}
  - {id: laptop, name: {zh: 笔记本电脑, en: laptop}}
steps:
  - {id: lights_ok, type: check, title: "Lights OK?"}
  - {id: gateway, type: record, input: ipv4, title: Gateway}
  - {id: mask, type: record, input: netmask, title: Mask}
  - {id: rx_power, type: record, input: decimal, unit: dBm, title: Rx, min: -50, max: 10}
  - {id: room_temp, type: record, input: decimal, unit: °C, title: Temperature}
  - {id: humidity, type: record, input: integer, unit: "%", title: Humidity, min: 0, max: 100}
  - {id: wait, type: record, input: integer, unit: min, title: Waited}
  - {id: vlan, type: record, input: integer, title: VLAN, min: 1, max: 4094}
  - id: connector
    type: record
    input: choice
    title: Connector
    choices: [{value: FC}, {value: SC, label: {zh: SC口（方）, en: SC port}}]
  - id: alarms
    type: record
    input: multi_choice
    title: Alarms
    choices: [{value: los}, {value: power}, {value: temperature}]
  - {id: onu_sn, type: record, input: serial, title: SN, pattern: "^[A-Z0-9]{12}$"}
  - {id: visit_day, type: record, input: date, title: Day}
  - {id: arrived_at, type: record, input: datetime, title: Arrived}
  - {id: pack, type: tools, title: Pack}
  - {id: followups, type: followups, title: Follow-ups}
"""

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 1, 15, 4, tzinfo=CST)


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return checklist_from_text(CHECKLIST, "handtyped.yaml")


def step(checklist: Checklist, step_id: str) -> AnyStep:
    found = checklist.step(step_id)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("step_id", "typed", "stored"),
    [
        # addresses and masks: full-width digits, the ideographic full stop, full-width slash
        ("gateway", "１０.２０.３０.５", "10.20.30.5"),
        ("gateway", "１９２。１６８。１。１", "192.168.1.1"),
        ("gateway", "１９２．１６８．１．１", "192.168.1.1"),
        ("gateway", "　10.0.0.1　", "10.0.0.1"),
        ("mask", "２５５.２５５.２５５.０", "255.255.255.0"),
        ("mask", "／２４", "255.255.255.0"),
        ("mask", "255。255。0。0", "255.255.0.0"),
        # numbers with their unit, the Unicode minus, full-width digits
        ("rx_power", "-26.3dBm", -26.3),
        ("rx_power", "−26.3 dBm", -26.3),
        ("rx_power", "－２６．３ｄＢｍ", -26.3),
        ("rx_power", "-26.3 DBM", -26.3),
        ("room_temp", "26度", 26.0),
        ("room_temp", "26℃", 26.0),
        ("room_temp", "26 °C", 26.0),
        ("room_temp", "２６ ℃", 26.0),
        ("room_temp", "-3.5°c", -3.5),
        ("humidity", "45%", 45),
        ("humidity", "４５％", 45),
        ("wait", "15分钟", 15),
        ("wait", "15 min", 15),
        ("vlan", "１００", 100),
        # choices and lists: by number, full-width number, full-width comma
        ("connector", "２", "SC"),
        ("connector", "ＳＣ", "SC"),
        ("connector", "SC口(方)", "SC"),
        ("alarms", "1，3", ["los", "temperature"]),
        ("alarms", "１、２", ["los", "power"]),
        ("pack", "２，１", ["power_meter", "laptop"]),
        ("onu_sn", "ＺＴＥＧ１Ａ２Ｂ３Ｃ４Ｄ", "ZTEG1A2B3C4D"),
        # yes and no as said in Chinese
        ("lights_ok", "对", True),
        ("lights_ok", "好", True),
        ("lights_ok", "有", True),
        ("lights_ok", "不对", False),
        ("lights_ok", "没有", False),
        ("lights_ok", "ｙ", True),
        # dates: Chinese, slashes, this year, words
        ("visit_day", "2026年5月1日", "2026-05-01"),
        ("visit_day", "2026年5月1号", "2026-05-01"),
        ("visit_day", "2026/5/1", "2026-05-01"),
        ("visit_day", "２０２６／５／１", "2026-05-01"),
        ("visit_day", "5月1日", "2026-05-01"),
        ("visit_day", "今天", "2026-12-01"),
        ("visit_day", "昨天", "2026-11-30"),
        ("visit_day", "today", "2026-12-01"),
        ("visit_day", "Yesterday", "2026-11-30"),
        ("visit_day", "明天", "2026-12-02"),
        # times: alone (today), with a date, Chinese, now
        ("arrived_at", "9:30", "2026-12-01T09:30+08:00"),
        ("arrived_at", "09:30", "2026-12-01T09:30+08:00"),
        ("arrived_at", "９：３０", "2026-12-01T09:30+08:00"),
        ("arrived_at", "2026-12-01 9:30", "2026-12-01T09:30+08:00"),
        ("arrived_at", "2026年11月30日 18:05", "2026-11-30T18:05+08:00"),
        ("arrived_at", "昨天 23:10", "2026-11-30T23:10+08:00"),
        ("arrived_at", "9点30分", "2026-12-01T09:30+08:00"),
        ("arrived_at", "9点半", "2026-12-01T09:30+08:00"),
        ("arrived_at", "下午3点", "2026-12-01T15:00+08:00"),
        ("arrived_at", "昨天晚上8点15", "2026-11-30T20:15+08:00"),
        ("arrived_at", "中午12点", "2026-12-01T12:00+08:00"),
        ("arrived_at", "中午1点", "2026-12-01T13:00+08:00"),
        ("arrived_at", "上午10:05", "2026-12-01T10:05+08:00"),
        ("arrived_at", "现在", "2026-12-01T15:04+08:00"),
        ("arrived_at", "now", "2026-12-01T15:04+08:00"),
        ("arrived_at", "2026-12-01T09:30+00:00", "2026-12-01T09:30+00:00"),
        # a follow-up's due date in the same forms
        (
            "followups",
            [{"problem": "光衰偏大", "owner": "王工", "due": "12月5日"}],
            [{"problem": "光衰偏大", "owner": "王工", "due": "2026-12-05"}],
        ),
    ],
)
def test_what_is_typed_by_habit_is_stored_as_meant(
    checklist: Checklist, step_id: str, typed: object, stored: object
) -> None:
    assert parse_answer(step(checklist, step_id), typed, checklist, now=NOW) == stored


@pytest.mark.parametrize(
    ("step_id", "typed", "reason"),
    [
        ("gateway", "10.0.0.3O", "not an IPv4 address: 10.0.0.3O (unexpected character 'O')"),
        (
            "gateway",
            "10.0.0.²",
            "not an IPv4 address: 10.0.0.² (unexpected character '²' (U+00B2 SUPERSCRIPT TWO))",
        ),
        ("mask", "²⁴", "not a subnet mask: ²⁴ (unexpected character '²'"),
        ("mask", "/２⁴", "unexpected character '⁴' (U+2074 SUPERSCRIPT FOUR)"),
        ("vlan", "1²", "not a number: 1² (unexpected character '²'"),
        ("vlan", "١٠٠", "unexpected character '١' (U+0661 ARABIC-INDIC DIGIT ONE)"),
        ("rx_power", "-26.3 mW", "wrong unit: mW (the reading is in dBm)"),
        ("vlan", "100 m", "wrong unit: m"),
        ("connector", "²", "not one of the choices: ²"),
        ("pack", "³", "no tool ³"),
        ("mask", "9" * 5000, "not a subnet mask"),
        ("connector", "1" * 5000, "not one of the choices"),
        ("visit_day", "下周", "not a date: 下周"),
        ("visit_day", "2026年2月30日", "no such date or time: 2026-02-30"),
        ("arrived_at", "25:00", "no such date or time: 25:00"),
        ("arrived_at", "昨天", "give the time too: 昨天 9:30"),
        ("followups", [{"problem": "p", "owner": "o", "due": "下周"}], "due is not a date: 下周"),
    ],
)
def test_what_is_still_wrong_is_refused_naming_the_character(
    checklist: Checklist, step_id: str, typed: object, reason: str
) -> None:
    with pytest.raises(AnswerError) as refused:
        parse_answer(step(checklist, step_id), typed, checklist, now=NOW)
    assert reason in refused.value.reason.en
    assert refused.value.reason.zh


def test_the_chinese_refusal_names_the_character_too(checklist: Checklist) -> None:
    with pytest.raises(AnswerError) as refused:
        parse_answer(step(checklist, "gateway"), "１０.０.０.３Ｏ", checklist)
    assert refused.value.reason.zh == (
        "不是 IPv4 地址：10.0.0.3O（无法识别的字符 'O'）（例如 192.168.1.10）"
    )


FULL_WIDTH = {chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)}


def full_width(text: str, chosen: list[bool]) -> str:
    """`text` with the characters picked by `chosen` in their full-width form."""
    return "".join(
        FULL_WIDTH.get(char, char) if pick else char
        for char, pick in zip(text, chosen + [False] * len(text), strict=False)
    )


@given(address=st.ip_addresses(v=4), chosen=st.lists(st.booleans(), max_size=15))
def test_any_address_typed_in_full_width_is_the_same_address(
    checklist: Checklist, address: object, chosen: list[bool]
) -> None:
    typed = full_width(str(address), chosen)
    try:
        ascii_value = parse_answer(step(checklist, "gateway"), str(address), checklist)
    except AnswerError:
        with pytest.raises(AnswerError):
            parse_answer(step(checklist, "gateway"), typed, checklist)
        return
    assert parse_answer(step(checklist, "gateway"), typed, checklist) == ascii_value


@given(reading=st.decimals(min_value=-50, max_value=10, places=2), chosen=st.lists(st.booleans()))
def test_any_reading_typed_in_full_width_with_its_unit_is_the_same_number(
    checklist: Checklist, reading: object, chosen: list[bool]
) -> None:
    text = f"{reading}".replace("-", "−")
    typed = full_width(text, chosen) + " dBm"
    assert parse_answer(step(checklist, "rx_power"), typed, checklist) == float(str(reading))


ANSWERED_STEPS = [
    "lights_ok", "gateway", "mask", "rx_power", "room_temp", "vlan", "connector", "alarms",
    "onu_sn", "visit_day", "arrived_at", "pack",
]  # fmt: skip


@given(typed=st.text(max_size=20), step_id=st.sampled_from(ANSWERED_STEPS))
def test_no_typed_text_makes_anything_but_a_refusal(
    checklist: Checklist, typed: str, step_id: str
) -> None:
    """`²` passed `isdigit()` and then failed `int()` with a traceback; no text may do that."""
    with contextlib.suppress(AnswerError):
        parse_answer(step(checklist, step_id), typed, checklist, now=NOW)


def test_fold_width_leaves_chinese_alone() -> None:
    assert fold_width("光衰偏大，约－２６ｄＢｍ") == "光衰偏大,约-26dBm"
    assert fold_width("机房。") == "机房。"


@pytest.mark.parametrize(
    ("dropped", "path"),
    [
        ("'/home/li/odf tray.jpg' ", "/home/li/odf tray.jpg"),
        ('"/home/li/odf tray.jpg"', "/home/li/odf tray.jpg"),
        ("/home/li/odf\\ tray.jpg", "/home/li/odf tray.jpg"),
        ("file:///home/li/odf%20tray.jpg", "/home/li/odf tray.jpg"),
        ("'file:///home/li/%E5%85%89%E7%BA%A4.jpg'", "/home/li/光纤.jpg"),
        ('"C:\\Users\\li\\Pictures\\odf tray.jpg"', "C:\\Users\\li\\Pictures\\odf tray.jpg"),
        ("& 'C:\\Users\\li\\odf tray.jpg'", "C:\\Users\\li\\odf tray.jpg"),
        ("file:///C:/Users/li/odf%20tray.jpg", "C:/Users/li/odf tray.jpg"),
        ("file://nas/photos/odf.jpg", "//nas/photos/odf.jpg"),
        ("/home/li/odf.jpg", "/home/li/odf.jpg"),
    ],
)
def test_a_file_dragged_into_the_terminal_is_its_path(dropped: str, path: str) -> None:
    assert dragged_path(dropped) == path


def test_a_dragged_photo_is_attached_as_the_answer(checklist: Checklist, tmp_path: Path) -> None:
    photo = tmp_path / "odf tray.jpg"
    photo.write_bytes(b"\xff\xd8")
    photos = checklist_from_text(
        CHECKLIST.replace("steps:\n", "steps:\n  - {id: photo, type: attachment, title: P}\n"),
        "photos.yaml",
    )
    for dropped in (f"'{photo}' ", f"file://{photo.as_posix().replace(' ', '%20')}"):
        assert parse_answer(step(photos, "photo"), dropped, photos) == str(photo)
