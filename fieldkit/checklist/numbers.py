"""How numbers from checklists are written back to people: `-25`, not `-25.0`."""

from __future__ import annotations

MINUS_SIGN = "\N{MINUS SIGN}"


def format_number(value: float, *, typographic: bool = False) -> str:
    """`10.0` as `10`, `-8.5` as `-8.5`; `typographic` uses the real minus sign (−) for display."""
    number = float(value)
    text = str(int(number)) if number.is_integer() else repr(number)
    return text.replace("-", MINUS_SIGN) if typographic else text
