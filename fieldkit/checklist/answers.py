"""Turn a raw answer into a checked, stored value (`parse_answer`).

`parse_answer(step, raw, checklist)` takes what a person typed at a prompt (a string) or a value
from an answers file (YAML/JSON: bool, number, string, list, mapping) and returns the value to
store, JSON-ready:

| step | stored value |
|---|---|
| instruction, check | `bool` |
| record integer / decimal | `int` / `float` |
| record text, serial | `str` |
| record ipv4 | `str`, dotted quad |
| record netmask | `str`, dotted quad (`/24` becomes `255.255.255.0`) |
| record choice / multi_choice | the choice `value` / a list of values, in the checklist's order |
| record date / datetime | ISO 8601 `str`; a datetime always carries its UTC offset |
| tools | list of tool ids NOT packed (empty: everything packed) |
| attachment | the file path as `str` |
| signature | the signer's name (the caller records the time) |
| followups | list of `{problem, owner, due}` with `due` an ISO date |

What an engineer types by habit (full-width digits, `。` in an address, `26度`, `2026年5月1日`)
is read through fieldkit/checklist/handtyped.py. A bad answer raises `AnswerError` with a
bilingual reason; the walkthrough asks again, an answers file turns it into an error naming the
step. An empty answer is also an AnswerError: callers decide before parsing whether an optional
step is being left unanswered. Ping steps are run, not answered. What a stored value means
(`judge`: pass / warning / fail; `display_answer`: as a person reads it) is in judging.py.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

from fieldkit.checklist.handtyped import (
    NotADate,
    describe_character,
    dragged_path,
    fold_address,
    fold_width,
    is_plain_number,
    odd_character,
    read_date,
    read_datetime,
    split_number,
    unit_matches,
)
from fieldkit.checklist.judging import (
    AnswerValue,
    choice_labels,
    range_text,
)
from fieldkit.checklist.models import (
    AnyStep,
    AttachmentStep,
    Checklist,
    CheckStep,
    ChoiceRecord,
    DateRecord,
    FollowupsStep,
    InstructionStep,
    Ipv4Record,
    NetmaskRecord,
    NumberRecord,
    PingStep,
    SerialRecord,
    SignatureStep,
    TextRecord,
    ToolsStep,
)
from fieldkit.errors import UserInputError
from fieldkit.text import Text

YES_WORDS = frozenset(
    {"true", "yes", "y", "done", "ok"}
    | {"是", "是的", "对", "对的", "好", "好的", "有", "完成", "已完成"}
)
NO_WORDS = frozenset(
    {"false", "no", "n", "not done"} | {"否", "不", "不是", "不对", "没", "没有", "无", "未完成"}
)
NOTHING_WORDS = frozenset({"none", "-", "无", "没有"})
# A serial number, MAC or order number is short; the bound keeps any pattern's work small.
MAX_SERIAL_CHARS = 200
_LIST_SEPARATORS = re.compile(r"[,，、;；]\s*|\s+")


class AnswerError(UserInputError):
    """An answer that cannot be stored; `reason` says why in both languages."""

    def __init__(self, reason: Text) -> None:
        self.reason = reason
        super().__init__(reason.en)


def _error(zh: str, en: str) -> AnswerError:
    return AnswerError(Text(zh=zh, en=en))


def _odd_note(text: str, allowed: str) -> tuple[str, str]:
    """`（不能识别的字符 '²' …）` for a refusal: the one character the engineer should retype."""
    char = odd_character(text, allowed)
    if char is None:
        return "", ""
    shown = describe_character(char)
    return f"（无法识别的字符 {shown}）", f" (unexpected character {shown})"


def parse_answer(
    step: AnyStep, raw: Any, checklist: Checklist, *, now: datetime | None = None
) -> AnswerValue:
    """The value to store for `step`, or AnswerError. `now` is the clock for `now` answers."""
    if isinstance(raw, str):
        raw = raw.strip()
    # A tools or followups step answered with nothing means "nothing missing" / "no problems".
    nothing = raw is None or raw == "" or raw == []
    if nothing and not isinstance(step, (ToolsStep, FollowupsStep)):
        raise _error("需要一个回答", "an answer is needed")
    if isinstance(step, (InstructionStep, CheckStep)):
        return parse_yes_no(raw)
    if isinstance(step, TextRecord):
        return _parse_text(step, raw)
    if isinstance(step, NumberRecord):
        return _parse_number(step, raw)
    if isinstance(step, Ipv4Record):
        return _parse_ipv4(raw)
    if isinstance(step, NetmaskRecord):
        return _parse_netmask(raw)
    if isinstance(step, ChoiceRecord):
        return _parse_choices(step, raw)
    if isinstance(step, DateRecord):
        return _parse_date(step, raw, now)
    if isinstance(step, SerialRecord):
        return _parse_serial(step, raw)
    if isinstance(step, ToolsStep):
        return _parse_tools(checklist, raw)
    if isinstance(step, AttachmentStep):
        return _parse_attachment(step, raw)
    if isinstance(step, SignatureStep):
        return _as_text(raw)
    if isinstance(step, FollowupsStep):
        return _parse_followups(raw, now)
    if isinstance(step, PingStep):
        raise _error("ping 步骤由程序执行，无需回答", "a ping step is run, not answered")
    raise AssertionError(f"unhandled step type {step.type}")


def _as_text(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise _error("需要一段文字", "expected text")
    text = str(raw).strip()
    if not text:
        raise _error("需要一个回答", "an answer is needed")
    return text


def parse_yes_no(raw: Any) -> bool:
    """`y`, `是`, `对`, `好`, `有`... True; `n`, `否`, `不对`, `没有`... False; else AnswerError."""
    if isinstance(raw, bool):
        return raw
    word = fold_width(_as_text(raw)).casefold()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise _error("请回答 是 或 否（y/n）", "answer yes or no (y/n)")


def _parse_text(step: TextRecord, raw: Any) -> str:
    text = _as_text(raw)
    if step.max_length is not None and len(text) > step.max_length:
        raise _error(
            f"太长：{len(text)} 个字符，最多 {step.max_length} 个",
            f"too long: {len(text)} characters, at most {step.max_length}",
        )
    return text


def _parse_number(step: NumberRecord, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise _error("需要一个数字", "expected a number")
    if isinstance(raw, (int, float)):
        number: float = raw
        try:  # an answers file's 10**400 is an int no float holds
            float(number)
        except OverflowError:
            raise _error("数字太大", "the number is too large") from None
    else:
        number = _typed_number(step, _as_text(raw))
    if number != number or number in (float("inf"), float("-inf")):
        raise _error("需要一个有限的数字", "expected a finite number")
    if step.input == "integer":
        if not float(number).is_integer():
            raise _error(f"需要整数，而不是 {number}", f"expected a whole number, not {number}")
        number = int(number)
    low, high = step.min, step.max
    if (low is not None and number < low) or (high is not None and number > high):
        band = range_text(low, high, step.unit)
        raise _error(f"超出范围 {band}", f"out of range {band}")
    return number


def _typed_number(step: NumberRecord, text: str) -> float:
    """`-26.3dBm`, `−26.3 dBm`, `26℃`, `26度`, `45%`, `２６`: the number, its unit checked."""
    typed = split_number(text)
    # `1²`: what follows the number is a number-like character, not a unit
    numeric_tail = typed is not None and unicodedata.category(typed.unit[:1] or "a")[0] == "N"
    if typed is None or numeric_tail:
        odd_zh, odd_en = _odd_note(fold_width(text), r"0-9.+\-eE ")
        raise _error(f"不是数字：{text}{odd_zh}", f"not a number: {text}{odd_en}")
    if typed.unit and not (step.unit and unit_matches(typed.unit, step.unit)):
        wanted = step.unit or ""
        raise _error(
            f"单位不对：{typed.unit}" + (f"（应为 {wanted}）" if wanted else "（此项不带单位）"),
            f"wrong unit: {typed.unit}" + (f" (the reading is in {wanted})" if wanted else ""),
        )
    return float(typed.number)


def _parse_ipv4(raw: Any) -> str:
    text = fold_address(_as_text(raw))
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        odd_zh, odd_en = _odd_note(text, "0-9.")
        raise _error(
            f"不是 IPv4 地址：{text}{odd_zh}（例如 192.168.1.10）",
            f"not an IPv4 address: {text}{odd_en} (e.g. 192.168.1.10)",
        ) from None
    if (
        address.is_unspecified
        or address.is_multicast
        or address == ipaddress.IPv4Address("255.255.255.255")
    ):
        raise _error(f"{text} 不是主机地址", f"{text} is not a host address")
    return str(address)


def _parse_netmask(raw: Any) -> str:
    text = fold_address(_as_text(raw)).removeprefix("/")
    odd_zh, odd_en = _odd_note(text, "0-9.")
    problem = _error(
        f"不是子网掩码：{text}{odd_zh}（例如 255.255.255.0 或 /24）",
        f"not a subnet mask: {text}{odd_en} (e.g. 255.255.255.0 or /24)",
    )
    if is_plain_number(text):
        prefix = int(text)
        if prefix > 32:
            raise problem
    else:
        try:
            mask = int(ipaddress.IPv4Address(text))
        except ValueError:
            raise problem from None
        host_bits = ~mask & 0xFFFFFFFF
        if host_bits & (host_bits + 1):  # the ones of a mask must be contiguous from the left
            raise problem
        prefix = 32 - host_bits.bit_length()
    netmask = str(ipaddress.IPv4Network(f"0.0.0.0/{prefix}").netmask)
    if prefix not in LAN_PREFIXES:
        raise _unusable_mask(prefix, netmask)
    return netmask


# A customer LAN holds at least the laptop and the gateway (/30) and is never wider than a /8.
LAN_PREFIXES = range(8, 31)


def _unusable_mask(prefix: int, netmask: str) -> AnswerError:
    if prefix == 0:
        zh, en = "/0 包含所有地址，不是局域网", "/0 is every address, not a LAN"
    elif prefix > LAN_PREFIXES[-1]:
        zh = f"/{prefix}（{netmask}）容不下笔记本电脑和网关两个地址"
        en = f"/{prefix} ({netmask}) leaves no room for both the laptop and the gateway"
    else:
        zh = f"/{prefix}（{netmask}）比任何客户局域网都大，是否输错？"
        en = f"/{prefix} ({netmask}) is wider than any customer LAN; a typo?"
    return _error(
        f"{zh}；客户局域网的掩码为 /8 至 /30（255.0.0.0 至 255.255.255.252）",
        f"{en}: a customer LAN mask is /8 to /30 (255.0.0.0 to 255.255.255.252)",
    )


def _split_list(raw: Any) -> list[Any]:
    if isinstance(raw, list):
        return raw
    if isinstance(raw, str):
        return [part for part in _LIST_SEPARATORS.split(fold_width(raw)) if part]
    return [raw]


def _match_choice(step: ChoiceRecord, raw: Any) -> str:
    text = fold_width(_as_text(raw))
    for choice in step.choices:
        if choice.value == text:
            return choice.value
    folded = text.casefold()
    for choice in step.choices:
        names = [choice.value, *((choice.label.zh, choice.label.en) if choice.label else ())]
        if folded in (fold_width(name).casefold() for name in names):
            return choice.value
    if is_plain_number(text) and 1 <= int(text) <= len(step.choices):
        return step.choices[int(text) - 1].value
    values = [choice.value for choice in step.choices]
    count = len(step.choices)
    raise _error(
        f"不是可选项：{text}（可选：{choice_labels(step, values, 'zh')}，或序号 1..{count}）",
        f"not one of the choices: {text} (choose {choice_labels(step, values, 'en')}, "
        f"or 1..{count})",
    )


def _parse_choices(step: ChoiceRecord, raw: Any) -> str | list[str]:
    if step.input == "choice":
        if isinstance(raw, list):
            raise _error("只能选一项", "choose exactly one")
        return _match_choice(step, raw)
    chosen = {_match_choice(step, item) for item in _split_list(raw)}
    return [choice.value for choice in step.choices if choice.value in chosen]


def _parse_date(step: DateRecord, raw: Any, now: datetime | None) -> str:
    text = _as_text(raw)
    clock = _local_clock(now)
    try:
        if step.input == "date":
            return read_date(text, clock.date()).isoformat()
        return _iso_minutes(read_datetime(text, clock))
    except NotADate as problem:
        raise _date_error(text, problem, step.input) from None


def _local_clock(now: datetime | None) -> datetime:
    """The given clock as it is (its zone is the one the engineer means), else the laptop's."""
    if now is not None and now.tzinfo is not None:
        return now
    return (now or datetime.now()).astimezone()


def _date_error(text: str, problem: NotADate, kind: str) -> AnswerError:
    if problem.detail == "no time":
        return _error(f"请同时写上时间：{text} 9:30", f"give the time too: {text} 9:30")
    if problem.detail:
        detail = problem.detail
        return _error(f"没有这个日期或时间：{detail}", f"no such date or time: {detail}")
    example_zh = "2024-05-01、2024年5月1日、5月1日 或 今天"
    example_en = "2024-05-01, 2024/5/1 or today"
    if kind == "datetime":
        example_zh = "2024-05-01 14:30、5月1日 9:30、9:30 或 现在"
        example_en = "2024-05-01 14:30, 9:30 or now"
    return _error(
        f"不是日期：{text}（例如 {example_zh}）", f"not a date: {text} (e.g. {example_en})"
    )


def _iso_minutes(moment: datetime) -> str:
    spec = "seconds" if moment.second or moment.microsecond else "minutes"
    return moment.isoformat(timespec=spec)


def _parse_serial(step: SerialRecord, raw: Any) -> str:
    text = fold_width(_as_text(raw))
    if len(text) > MAX_SERIAL_CHARS:  # bounds the pattern's work (checklist/regex_safety.py)
        limit = MAX_SERIAL_CHARS
        raise _error(f"太长：最多 {limit} 个字符", f"too long: at most {limit} characters")
    if re.fullmatch(step.pattern, text) is None:
        if step.pattern_help is not None:
            raise _error(
                f"{text} 不符合格式：{step.pattern_help.zh}",
                f"{text} does not match the format: {step.pattern_help.en}",
            )
        raise _error(
            f"{text} 不符合格式 {step.pattern}", f"{text} does not match the pattern {step.pattern}"
        )
    return text


def _parse_tools(checklist: Checklist, raw: Any) -> list[str]:
    if raw is None or (isinstance(raw, str) and raw.casefold() in NOTHING_WORDS | {""}):
        return []
    ids = [tool.id for tool in checklist.tools]
    missing: set[str] = set()
    for item in _split_list(raw):
        text = fold_width(_as_text(item))
        if text in ids:
            missing.add(text)
        elif is_plain_number(text) and 1 <= int(text) <= len(ids):
            missing.add(ids[int(text) - 1])
        else:
            raise _error(
                f"工具清单里没有 {text}（填序号 1..{len(ids)} 或工具代码：{', '.join(ids)}）",
                f"no tool {text} in the list (give 1..{len(ids)} or a tool id: {', '.join(ids)})",
            )
    return [tool_id for tool_id in ids if tool_id in missing]


def _parse_attachment(step: AttachmentStep, raw: Any) -> str:
    path = Path(dragged_path(_as_text(raw))).expanduser()
    if step.accept and path.suffix.casefold() not in {ending.casefold() for ending in step.accept}:
        endings = ", ".join(step.accept)
        raise _error(f"文件类型须为 {endings}", f"the file must end with {endings}")
    if path.is_dir():
        raise _error(f"这是文件夹，不是文件：{path}", f"a folder, not a file: {path}")
    if not path.is_file():
        raise _error(f"找不到文件：{path}", f"no such file: {path}")
    return str(path)


def _parse_followups(raw: Any, now: datetime | None) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _error(
            "跟进事项须为列表：每项含 problem、owner、due",
            "followups must be a list of {problem, owner, due}",
        )
    items: list[dict[str, str]] = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or set(item) != {"problem", "owner", "due"}:
            raise _error(
                f"第 {number} 项须且只须含 problem、owner、due",
                f"item {number} needs exactly the keys problem, owner and due",
            )
        due = followup_due(item["due"], now)
        if due is None:
            raise _error(
                f"第 {number} 项的期限不是日期：{item['due']}（例如 2024-05-01 或 5月1日）",
                f"item {number}: due is not a date: {item['due']} (e.g. 2024-05-01)",
            )
        items.append(
            {"problem": _as_text(item["problem"]), "owner": _as_text(item["owner"]), "due": due}
        )
    return items


def followup_due(raw: Any, now: datetime | None = None) -> str | None:
    """A follow-up's due date as an ISO date, or None when it is not a date."""
    today = _local_clock(now).date()
    try:
        return read_date(str(raw), today).isoformat()
    except NotADate:
        return None
