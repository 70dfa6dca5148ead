"""What an engineer types by habit, read as what they mean: full-width digits, units, dates.

A Chinese input method in full-width mode gives `１０.２０.３０.５`, `１９２。１６８`, `：`, `／`;
the engineer means the ASCII forms. `fold_width` maps the full-width block (and the ideographic
space and the minus sign) to ASCII, which is what Unicode NFKC does for those characters; NFKC
as a whole is not used because it also turns `²` into `2` and `½` into `1⁄2`, which would store
a number the engineer did not type. Whatever is still not understood is named by `odd_character`,
so a refusal can show the one character that is wrong.

Dates and times come as `2026-05-01`, `2026/5/1`, `2026年5月1日`, `5月1日` (this year), `今天`,
`昨天`, `today`, `yesterday`; times as `9:30`, `09:30`, `9点30分`, `2026-12-01 9:30`, `现在`,
`now`. Nothing here knows the terminal: the caller passes the clock.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

_MINUS_LIKE = "\N{MINUS SIGN}\N{SMALL HYPHEN-MINUS}\N{FULLWIDTH HYPHEN-MINUS}"


def fold_width(text: str) -> str:
    """Full-width ASCII look-alikes as ASCII (`１`→`1`, `：`→`:`, `／`→`/`, `　`→space), and the
    minus sign (−) as `-`. Chinese characters and every other character are left alone."""
    out = []
    for char in text:
        code = ord(char)
        if char in _MINUS_LIKE:
            out.append("-")
        elif 0xFF01 <= code <= 0xFF5E:  # the Halfwidth and Fullwidth Forms block's ASCII part
            out.append(chr(code - 0xFEE0))
        elif char == "\N{IDEOGRAPHIC SPACE}":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def fold_address(text: str) -> str:
    """`fold_width`, and the ideographic full stop as an address's dot (`１９２。１６８`)."""
    return fold_width(text).replace("\N{IDEOGRAPHIC FULL STOP}", ".").strip()


def odd_character(text: str, allowed: str) -> str | None:
    """The first character of `text` outside the regex character class `allowed`, or None."""
    pattern = re.compile(f"[^{allowed}]", re.ASCII)
    found = pattern.search(text)
    return found.group() if found else None


def describe_character(char: str) -> str:
    """`'O'`; a non-ASCII one with its code and name, `'²' (U+00B2 SUPERSCRIPT TWO)`, as it may
    look just like the character that was meant."""
    if char.isascii():
        return repr(char)
    name = unicodedata.name(char, "")
    return f"'{char}' (U+{ord(char):04X}{' ' + name if name else ''})"


def is_plain_number(text: str) -> bool:
    """A small count in ASCII digits: `isdigit()` also says yes to `²`, on which `int()` then
    fails, and `int()` refuses a string of more than 4300 digits."""
    return re.fullmatch(r"[0-9]{1,9}", text) is not None


def dragged_path(text: str) -> str:
    """A file dragged into a terminal, as the path it names.

    Terminals write a dropped file in their own way: `'/home/li/odf tray.jpg' ` (GNOME),
    `/home/li/odf\\ tray.jpg` (macOS, kitty), `"C:\\Users\\li\\odf tray.jpg"` (Windows
    Terminal), `& 'C:\\odf tray.jpg'` (PowerShell), `file:///home/li/odf%20tray.jpg` (a browser or
    a file manager's copy)."""
    path = text.strip()
    if path.startswith("& "):
        path = path[2:].strip()
    if len(path) >= 2 and path[0] == path[-1] and path[0] in "'\"":
        path = path[1:-1]
    if path.casefold().startswith("file://"):
        parts = urllib.parse.urlsplit(path)
        local = urllib.parse.unquote(parts.path)
        if re.match(r"/[A-Za-z]:", local):  # file:///C:/Users/...
            local = local[1:]
        host = parts.netloc
        return f"//{host}{local}" if host and host.casefold() != "localhost" else local
    if "\\ " in path and not re.match(r"[A-Za-z]:", path):
        path = re.sub(r"\\(.)", r"\1", path)  # a shell-escaped path: `odf\\ tray.jpg`
    return path


# -- numbers with their unit -------------------------------------------------------------------

_NUMBER = re.compile(
    r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*(.*)", re.ASCII | re.DOTALL
)

# The ways a unit is typed beside the number; keys are checklist units, casefolded.
_UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "°c": ("°c", "° c", "℃", "度", "摄氏度", "c"),
    "%": ("%", "percent", "百分之"),
    "dbm": ("dbm", "db m"),
    "db": ("db", "分贝"),
    "min": ("min", "mins", "minute", "minutes", "分", "分钟"),
    "s": ("s", "sec", "second", "seconds", "秒"),
    "ms": ("ms", "毫秒"),
    "h": ("h", "hour", "hours", "小时"),
    "m": ("m", "米"),
    "km": ("km", "公里", "千米"),
    "v": ("v", "伏"),
}


@dataclass(frozen=True)
class TypedNumber:
    """A number as typed: its text (ASCII), and the unit written after it (`""` when none)."""

    number: str
    unit: str


def split_number(text: str) -> TypedNumber | None:
    """`−26.3 dBm` -> ("-26.3", "dBm"), `26℃` -> ("26", "℃"); None when it does not start
    with a number."""
    found = _NUMBER.fullmatch(fold_width(text).strip())
    if found is None:
        return None
    return TypedNumber(found.group(1), found.group(2).strip())


def unit_matches(typed: str, unit: str) -> bool:
    """Whether the unit written after a number is the step's unit (`度` for °C, `分钟` for min)."""
    wanted = unit.casefold()
    given = unicodedata.normalize("NFKC", typed).casefold().strip()
    spellings = _UNIT_SPELLINGS.get(wanted, ())
    # NFKC turns ℃ into °c; the spellings are compared in the same form.
    return given == wanted or given in {
        unicodedata.normalize("NFKC", spelling).casefold() for spelling in spellings
    }


# -- dates and times ---------------------------------------------------------------------------

_DAY_WORDS: dict[str, int] = {
    "today": 0,
    "今天": 0,
    "今日": 0,
    "yesterday": -1,
    "昨天": -1,
    "昨日": -1,
    "前天": -2,
    "tomorrow": 1,  # a follow-up's due date
    "明天": 1,
    "明日": 1,
    "后天": 2,
}
NOW_WORDS = frozenset({"now", "现在", "此刻"})

_FULL_DATE = re.compile(
    r"([0-9]{4})\s*(?:[-/.]|年)\s*([0-9]{1,2})\s*(?:[-/.]|月)\s*([0-9]{1,2})\s*[日号]?"
)
_MONTH_DAY = re.compile(r"([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]")
_CLOCK = re.compile(
    r"(?P<part>上午|早上|中午|下午|晚上)?\s*(?P<hour>[0-9]{1,2})\s*(?::|点|时)\s*"
    r"(?:(?P<half>半)|(?P<minute>[0-9]{1,2})\s*分?)?(?::(?P<second>[0-9]{1,2})\s*秒?)?"
)
_AFTERNOON = ("中午", "下午", "晚上")


class NotADate(ValueError):
    """The text is not a date (or time) in any accepted form; `detail` may say what is wrong."""

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(detail)


def _date_part(text: str, today: date) -> tuple[date | None, str]:
    """The date at the start of `text` and what follows it; (None, text) when there is none."""
    for word, offset in _DAY_WORDS.items():
        if text.casefold().startswith(word):
            return today + timedelta(days=offset), text[len(word) :]
    found = _FULL_DATE.match(text)
    if found:
        year, month, day = (int(part) for part in found.groups())
        return _checked_date(year, month, day), text[found.end() :]
    found = _MONTH_DAY.match(text)
    if found:
        month, day = (int(part) for part in found.groups())
        return _checked_date(today.year, month, day), text[found.end() :]
    return None, text


def _checked_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise NotADate(f"{year:04d}-{month:02d}-{day:02d}") from None


def read_date(text: str, today: date) -> date:
    """A calendar date in any accepted form; NotADate otherwise."""
    folded = fold_width(text).strip()
    if folded.casefold() in NOW_WORDS:
        return today
    day, rest = _date_part(folded, today)
    if day is None or rest.strip():
        raise NotADate()
    return day


def read_datetime(text: str, now: datetime) -> datetime:
    """A moment: a date and a time, a time alone (today), or now. NotADate otherwise.

    A moment typed without a zone is in the zone of `now`, the laptop's local time (its offset
    today: fine in China, which has no summer time)."""
    folded = fold_width(text).strip()
    if folded.casefold() in NOW_WORDS | {"today", "今天"}:
        return now
    day, rest = _date_part(folded, now.date())
    rest = rest.strip().removeprefix("T")
    clock = _CLOCK.fullmatch(rest)
    if clock is not None:
        hour, second = int(clock["hour"]), int(clock["second"] or 0)
        minute = 30 if clock["half"] else int(clock["minute"] or 0)
        if clock["part"] in _AFTERNOON and hour < 12 and not (clock["part"] == "中午" and hour > 2):
            hour += 12  # 下午3点 is 15:00, 中午12点 stays 12:00, 中午1点 is 13:00
        try:
            clock_time = time(hour, minute, second, tzinfo=now.tzinfo)
        except ValueError:
            raise NotADate(f"{hour:02d}:{minute:02d}") from None
        return datetime.combine(day or now.date(), clock_time)
    if day is not None and not rest:
        raise NotADate("no time")
    # Python 3.10's fromisoformat does not know the `Z` suffix.
    try:
        moment = datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", folded))
    except ValueError:
        raise NotADate() from None
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)
