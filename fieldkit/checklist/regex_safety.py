"""Refusing checklist patterns that can backtrack for ever (ReDoS), before any answer meets them.

Python's `re` backtracks: `^(a+)+$` takes seconds on 25 `a`s and a `!`, and doubles with each
more `a`. The check is structural, on the parsed pattern, and refuses the two shapes that make
backtracking exponential:
- a repeat without an upper bound inside a repeat (`(a+)+`, `(\\d*)*`, `(.*a){12}`);
- a repeat without an upper bound over parts that can match in more than one way: of varying
  length (`(a|aa)+`, `(\\w+\\s?)*`, `(a|a?)+`) or alternatives that can start with the same
  character (`(.|x)*`).
It is conservative: `(ab|a)*c` is refused although Python runs it fast; such a pattern is
written another way (`(ab?)*c`... or, usually, a plain character class with a length).
What is left can still be polynomial (`\\d+\\d+\\d+`), so a serial answer is also bounded in
length (MAX_SERIAL_CHARS in answers.py): together no pattern runs long. A time limit per match
would need another regex engine (the `regex` module); a check at validation tells the author,
with the line, instead of failing an engineer on site.
"""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 11):
    import re._constants as constants
    import re._parser as parser
else:  # pragma: no cover - Python 3.10
    import sre_constants as constants
    import sre_parse as parser

_REPEATS = {constants.MAX_REPEAT, constants.MIN_REPEAT}
_REPEATS |= {getattr(constants, "POSSESSIVE_REPEAT", constants.MAX_REPEAT)}
_UNBOUNDED = constants.MAXREPEAT
_ANY_CHAR = None  # a first-character set that may be anything


def backtracking_risk(pattern: str) -> str | None:
    """Why `pattern` could take exponential time on some text, or None when it cannot."""
    try:
        parsed = parser.parse(pattern)
    except Exception:  # the caller reports a pattern that does not compile
        return None
    return _first_risk(parsed.data, inside_repeat=None)


def _first_risk(items: list[tuple[Any, Any]], inside_repeat: tuple[int, int] | None) -> str | None:
    for op, value in items:
        if op in _REPEATS:
            low, high, body = value
            if high == _UNBOUNDED and inside_repeat is not None:
                return "a repeat without a bound inside a repeat, such as (a+)+ or (.*a){12}"
            if high == _UNBOUNDED:
                shortest, longest = body.getwidth()
                if shortest != longest:
                    return "a repeat over parts of varying length, such as (a|aa)+ or (\\w+\\s?)*"
                if _overlapping_alternatives(list(body)):
                    return "a repeat over alternatives that can match the same text, such as (.|x)*"
            found = _first_risk(list(body), (low, high) if high > 1 else inside_repeat)
        elif op is constants.SUBPATTERN:
            found = _first_risk(list(value[-1]), inside_repeat)
        elif op is constants.BRANCH:
            found = next(
                (risk for branch in value[1] if (risk := _first_risk(list(branch), inside_repeat))),
                None,
            )
        elif op in (constants.ASSERT, constants.ASSERT_NOT):
            found = _first_risk(list(value[1]), inside_repeat)
        else:
            found = None
        if found:
            return found
    return None


def _overlapping_alternatives(items: list[tuple[Any, Any]]) -> bool:
    """Whether the body of a repeat holds, anywhere, alternatives whose first characters
    overlap (the parser factors `(a|a)` into `a(?:|)`, two empty alternatives)."""
    for op, value in items:
        if op is constants.BRANCH:
            seen: set[int] = set()
            for branch in value[1]:
                first = _first_chars(list(branch))
                if first is _ANY_CHAR or first & seen:
                    return True
                seen |= first
            nested = value[1]
        elif op is constants.SUBPATTERN:
            nested = [value[-1]]
        elif op in _REPEATS:
            nested = [value[2]]
        else:
            continue
        if any(_overlapping_alternatives(list(part)) for part in nested):
            return True
    return False


def _first_chars(items: list[tuple[Any, Any]]) -> set[int] | None:
    """The characters a match of `items` can start with, or None when that is not simple to
    know (a class, a category, an empty-able start): then it counts as overlapping."""
    if not items:
        return _ANY_CHAR
    op, value = items[0]
    if op is constants.LITERAL:
        return {value}
    if op is constants.SUBPATTERN:
        return _first_chars(list(value[-1]))
    if op in _REPEATS and value[0] >= 1:
        return _first_chars(list(value[2]))
    return _ANY_CHAR
