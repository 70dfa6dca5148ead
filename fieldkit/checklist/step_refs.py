"""Step references in texts: `{step:ping_gateway}` stands for that step's number in the walk.

Authors name steps by id, never by a number typed into the text, so that a text cannot
contradict the screen when steps are added or moved (the walk numbers every step of the file,
1 to n, skipped ones included). `reference_problems` reports ids that name no step;
`with_step_numbers` replaces each reference with the number, once the checklist is valid.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from fieldkit.checklist.models import Checklist
from fieldkit.text import Text

Loc = tuple[str | int, ...]
STEP_REFERENCE = re.compile(r"\{step:([^{}]*)\}")


def texts_with_locations(node: object, loc: Loc = ()) -> Iterator[tuple[Loc, Text]]:
    """Every bilingual text of a model with its path through the YAML data."""
    if isinstance(node, Text):
        yield loc, node
    elif isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            yield from texts_with_locations(getattr(node, name), (*loc, info.alias or name))
    elif isinstance(node, (list, tuple)):
        for index, item in enumerate(node):
            yield from texts_with_locations(item, (*loc, index))


def reference_problems(checklist: Checklist) -> list[tuple[Loc, str]]:
    """A problem for each `{step:...}` that names no step of the checklist."""
    ids = [step.id for step in checklist.steps]
    problems: list[tuple[Loc, str]] = []
    for loc, text in texts_with_locations(checklist):
        for lang in ("zh", "en"):
            for match in STEP_REFERENCE.finditer(getattr(text, lang)):
                step_id = match[1]
                if step_id in ids:
                    continue
                message = f"step reference {match[0]} names no step of this checklist"
                suggestion = difflib.get_close_matches(step_id, ids, n=1, cutoff=0.6)
                if suggestion:
                    message += f" (did you mean {{step:{suggestion[0]}}}?)"
                problems.append(((*loc, lang), message))
    return problems


def with_step_numbers(checklist: Checklist) -> Checklist:
    """The checklist with every step reference replaced by that step's walk number."""
    numbers = {step.id: str(index) for index, step in enumerate(checklist.steps, start=1)}
    rendered = {
        loc: {
            lang: STEP_REFERENCE.sub(lambda match: numbers[match[1]], getattr(text, lang))
            for lang in ("zh", "en")
        }
        for loc, text in texts_with_locations(checklist)
        if STEP_REFERENCE.search(text.zh + text.en)
    }
    if not rendered:
        return checklist
    data: Any = checklist.model_dump(by_alias=True, exclude_unset=True)
    for loc, both in rendered.items():
        *parents, key = loc
        node = data
        for part in parents:
            node = node[part]
        node[key] = both
    return Checklist.model_validate(data)
