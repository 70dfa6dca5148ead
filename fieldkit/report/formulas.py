"""Text cells that a spreadsheet would run as a formula (CSV or formula injection).

A customer named `=HYPERLINK("http://evil.example","Click")`, an engineer `@SUM(A1:A9)` or a
signature `+1+1` is text; opened from a CSV, Excel and LibreOffice would run it. OWASP's advice
(https://owasp.org/www-community/attacks/CSV_Injection): a text cell that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return is written with a leading `'`, which both show as text.
In XLSX the cell is text already; it gets the quote-prefix style, Excel's own form of that `'`,
so that editing the cell keeps it text. Real numbers stay numbers: only text is changed, and
text that is just a number (`-35`, `+86`) is left as it is, as is an empty string.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?")


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet could take this text cell for a formula."""
    return text.startswith(_FORMULA_START) and _PLAIN_NUMBER.fullmatch(text) is None


def as_inert_text(text: str) -> str:
    """`text` as a CSV cell that Excel and LibreOffice show as text, never run."""
    return "'" + text if runs_as_formula(text) else text
