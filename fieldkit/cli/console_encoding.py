"""Any console encoding: output degrades, input that is not text is refused, nothing stops.

A Chinese Windows console redirected to a file writes GBK (`PYTHONIOENCODING=gbk`), an old
terminal ASCII; fieldkit's ✓, ✗, → and box lines are not in them, and a plain write raised
UnicodeEncodeError at the first ✓, leaving the visit in progress. Here stdout and stderr get an
error handler that writes a close ASCII stand-in for the few symbols fieldkit uses (`OK` for ✓)
and `?` for anything else the console cannot show. Rich sees the encoding too and draws its
tables with ASCII lines. stdin keeps undecodable bytes (GBK typed at a UTF-8 terminal) as lone
surrogates instead of raising; the terminal prompt (ui/prompts.py TerminalKeyboard) refuses a
line holding them and asks again, and text.name_problem refuses them in a name.
Standard library only: this runs before every command, however light.
"""

from __future__ import annotations

import codecs
import io
import sys

ERRORS = "fieldkit-degrade"

# The symbols fieldkit itself prints, as an ASCII console should show them.
_STAND_INS = {
    "✓": "OK", "✔": "OK", "✗": "X", "✘": "X", "×": "x", "→": "->", "←": "<-", "↑": "^",
    "↓": "v", "≥": ">=", "≤": "<=", "−": "-", "–": "-", "—": "-", "…": "...", "·": ".",
    "•": "*", "‘": "'", "’": "'", "“": '"', "”": '"', "°": " deg", "µ": "u", "±": "+/-",
    "⚠": "!", "\N{NO-BREAK SPACE}": " ",
}  # fmt: skip


def _degrade(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    unshown = error.object[error.start : error.end]
    stand_in = "".join(_STAND_INS.get(char, "?") for char in unshown)
    # A stand-in the console cannot show either (hardly: all ASCII) becomes `?` too.
    encodable = "".join(
        char if _encodes(char, error.encoding) else "?" for char in stand_in
    )
    return encodable, error.end


def _encodes(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def configure_console() -> None:
    """Make stdout and stderr degrade instead of failing, and stdin keep undecodable bytes."""
    try:
        codecs.lookup_error(ERRORS)
    except LookupError:
        codecs.register_error(ERRORS, _degrade)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors=ERRORS)
    if isinstance(sys.stdin, io.TextIOWrapper) and sys.stdin.errors == "strict":
        sys.stdin.reconfigure(errors="surrogateescape")
