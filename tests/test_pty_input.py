"""Input as a Chinese engineer types it, on a real 80-column pseudo-terminal, in zh and en.

Pings go to 127.0.0.1 only.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from test_pty_walk import VISIT_OPTIONS, Terminal, finish
from walk_support import SMALL_CHECKLIST

pytestmark = pytest.mark.slow

DATED_CHECKLIST = """\
schema: 1
id: dated-visit
version: "1"
kind: visit
title: {zh: 带日期的走访, en: Dated visit}
description: {zh: 测试用, en: for tests}
steps:
  - {id: visit_day, type: record, input: date, title: {zh: 走访日期, en: Visit day}}
  - {id: arrived_at, type: record, input: datetime, title: {zh: 到达时间, en: Arrived at}}
  - id: room_temperature
    type: record
    input: decimal
    unit: °C
    title: {zh: 机房温度, en: Room temperature}
  - {id: photo, type: attachment, title: {zh: 照片, en: Photo}, accept: [.jpg]}
  - {id: problems, type: followups, title: {zh: 跟进事项, en: Follow-ups}}
"""


def NarrowTerminal(tmp_path: Path, lang: str) -> Terminal:
    return Terminal(tmp_path, lang=lang, columns=80)


def test_zh_visit_fields_and_answers_typed_in_full_width(tmp_path: Path) -> None:
    term = NarrowTerminal(tmp_path, "zh")
    child = term.spawn("run", str(term.checklist))
    child.expect("工程师姓名")
    child.sendline("")
    child.expect("需要工程师姓名：记录和报表按它写明是谁做的")  # why it is asked again
    child.sendline("李工")
    child.expect("客户名称")
    child.sendline("深圳某银行")
    child.expect("地址/站点")
    child.sendline("跳过")  # leaves an optional field empty; never stored as the site
    child.expect("工单号")
    child.sendline("")
    child.expect(r"1\) 开通  2\) 移机  3\) 拆机  4\) 改参")
    child.expect("工单类型：输入序号")
    child.sendline("新装")
    child.expect("工单类型“新装”不是可选项：1 开通、2 移机、3 拆机、4 改参")
    child.sendline("２")  # a full-width number
    child.expect("客户等级：输入序号")
    child.sendline("返回")  # back to the order type
    child.expect("工单类型：输入序号")
    child.sendline("2")
    child.expect("客户等级：输入序号")
    child.sendline("4")
    child.expect("第 1 步，共 4 步")
    child.sendline("１２７。０。０。１")
    child.expect("即 127.0.0.1")  # shown as it is read, before it is saved
    child.expect("已保存")
    child.expect("第 2 步，共 4 步")
    child.sendline("跳过")
    child.expect("此步骤为必做项，不能跳过")
    child.sendline("好")
    child.expect("第 3 步，共 4 步")
    child.sendline("")
    child.expect("第 4 步，共 4 步")
    child.sendline("\\跳过")  # the escape: the remark really is the word 跳过
    assert finish(child) == 0
    record = term.only_record()
    assert (record.engineer, record.site, record.order) == ("李工", None, None)
    assert (record.order_type, record.grade) == ("relocate", "local-b")
    assert record.answer_for("gateway").value == "127.0.0.1"  # type: ignore[union-attr]
    assert record.answer_for("cabled").value is True  # type: ignore[union-attr]
    assert record.answer_for("remarks").value == "跳过"  # type: ignore[union-attr]
    assert record.lang == "zh"


def test_en_an_inspection_is_not_asked_an_order_type(tmp_path: Path) -> None:
    term = NarrowTerminal(tmp_path, "en")
    small = tmp_path / "small.yaml"
    small.write_text(SMALL_CHECKLIST, encoding="utf-8")
    child = term.spawn("run", str(small), "--engineer", "Li", "--customer", "Bank")
    child.expect("Site or address")
    child.sendline("")
    child.expect("Order number")
    child.sendline("")
    child.expect("Customer grade: its number")
    assert "Order type" not in child.before
    child.sendline("province")
    child.expect("step 1 of 5")
    child.sendline("26度")
    child.expect("read as 26 °C")
    child.expect("saved")
    child.sendline("quit")
    assert finish(child) == 3
    record = term.only_record()
    assert record.order_type is None and record.grade == "province"
    assert record.answer_for("room_temperature").value == 26.0  # type: ignore[union-attr]


def test_en_resume_is_offered_before_the_other_fields_and_keeps_the_visits_language(
    tmp_path: Path,
) -> None:
    term = NarrowTerminal(tmp_path, "en")
    who = ("--engineer", "李工", "--customer", "深圳某银行")
    child = term.spawn("run", str(term.checklist), *who, "--lang", "zh", "--site", "福田")
    for answer in ("", "", ""):  # order, order type, grade
        child.expect("›")
        child.sendline(answer)
    child.expect("第 1 步")
    child.sendline("127.0.0.1")
    child.expect("第 2 步")
    child.sendline("退出")
    assert finish(child) == 3
    first = term.only_record()

    child = term.spawn("run", str(term.checklist), *who)
    child.logfile_read = shown = io.StringIO()
    child.expect(f"Visit {first.visit_id} of quick-turnup")
    child.expect(r"Resume it\? \(Y/n\)")
    assert "Site" not in shown.getvalue()  # asked before the remaining fields, not after them
    child.sendline("是")
    child.expect("第 2 步，共 4 步")  # the language it was started in
    child.sendline("quit")
    assert finish(child) == 3

    child = term.spawn("resume", first.visit_id, "--lang", "en")
    child.expect("step 2 of 4")  # unless --lang says otherwise
    child.sendline("quit")
    assert finish(child) == 3
    assert [record.visit_id for record in term.store().iter_records()] == [first.visit_id]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dates_units_dragged_files_and_follow_ups(tmp_path: Path, lang: str) -> None:
    term = NarrowTerminal(tmp_path, lang)
    dated = tmp_path / "dated.yaml"
    dated.write_text(DATED_CHECKLIST, encoding="utf-8")
    photo = tmp_path / "odf tray.jpg"
    photo.write_bytes(b"\xff\xd8 a photo")
    year = date.today().year
    child = term.spawn("run", str(dated), "--engineer", "李工", "--customer", "深圳某银行")
    for _ in range(3):  # site, order, grade
        child.expect("›")
        child.sendline("")
    child.expect("›")
    child.sendline("5月1日")
    child.expect(f"{'即' if lang == 'zh' else 'read as'} {year}-05-01")
    child.expect("›")
    child.sendline("2026年5月1日 9:30")
    child.expect("2026-05-01T09:30")
    child.expect("›")
    child.sendline("−3.5 ℃")
    child.expect("›")
    child.sendline(f"'{photo}' ")  # as a terminal writes a dropped file
    child.expect("›")
    child.sendline("UPS 电池老化 ; 李工 ; 2026年6月1日")
    child.expect("2026-06-01")
    child.sendline("空调漏水 ; 王工 ; 下周")
    child.expect("下周")
    child.sendline("空调漏水 ; 王工 ; 6月8日")
    child.sendline("")
    assert finish(child) == 0
    record = term.only_record()
    assert record.answer_for("visit_day").value == f"{year}-05-01"  # type: ignore[union-attr]
    assert record.answer_for("room_temperature").value == -3.5  # type: ignore[union-attr]
    attached = record.answer_for("photo")
    assert attached is not None and attached.attachments[0].name == "odf tray.jpg"
    problems = record.answer_for("problems")
    assert problems is not None and [item["due"] for item in problems.value] == [  # type: ignore[union-attr, index]
        "2026-06-01",
        f"{year}-06-08",
    ]


@pytest.mark.parametrize(
    ("lang", "described", "refused"),
    [
        ("zh", "请输入（1 到 24 位字母或数字", "不符合格式：1 到 24 位字母或数字"),
        ("en", r"Type it \(1 to 24 letters and digits", "does not match the format: 1 to 24"),
    ],
)
def test_the_loid_prompt_describes_the_format_in_words(
    tmp_path: Path, lang: str, described: str, refused: str
) -> None:
    term = NarrowTerminal(tmp_path, lang)
    child = term.spawn("run", "ftto-turnup", *VISIT_OPTIONS)
    child.expect("›")
    child.sendline("y")  # the back office has registered the ONU
    child.logfile_read = shown = io.StringIO()
    child.expect(described)
    child.sendline("ZTEG-1A2B")
    child.expect(refused)
    child.sendline("ＺＴＥＧ１Ａ２Ｂ３Ｃ４Ｄ")  # full width: read as ASCII
    child.expect("›")
    child.sendline("quit")
    assert finish(child) == 3
    assert "^[A-Za-z0-9]" not in shown.getvalue()  # never the raw regular expression
    entry = term.only_record().answer_for("onu_loid_or_sn")
    assert entry is not None and entry.value == "ZTEG1A2B3C4D"


def test_zh_choosing_a_visit_to_resume_by_a_full_width_number(tmp_path: Path) -> None:
    term = NarrowTerminal(tmp_path, "zh")
    child = term.run()
    child.expect("第 1 步")
    child.sendline("127.0.0.1")
    child.expect("第 2 步")
    child.sendline("退出")
    assert finish(child) == 3

    child = term.spawn("resume")
    child.expect("继续哪一次走访")
    child.sendline("²")  # `isdigit()` but not a number: refused, no traceback
    child.expect("不是可选项")
    child.sendline("１")
    child.expect("第 2 步，共 4 步")
    child.sendline("退出")
    assert finish(child) == 3
