"""Which language built-in texts are shown in: --lang, then FIELDKIT_LANG, then the locale."""

from __future__ import annotations

import locale
import os
from typing import Literal

Lang = Literal["zh", "en"]


def resolve_lang(explicit: str | None = None) -> Lang:
    """The language to use; an unknown explicit value is the caller's job to reject."""
    for candidate in (explicit, os.environ.get("FIELDKIT_LANG")):
        if candidate:
            return _normalise(candidate)
    system = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")
    if not system:
        system = locale.getlocale()[0] or ""
    return _normalise(system)


def _normalise(value: str) -> Lang:
    return "zh" if value.lower().startswith(("zh", "chinese")) else "en"
