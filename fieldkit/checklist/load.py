"""The one way to load a checklist file: safe YAML, the models, then the semantic checks.

`show`, `run`, the walkthrough and `validate` all go through `load_checklist`, so a broken
file gives the same `file:line:col: message` lines (as ValidationFailed) everywhere.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from fieldkit import yamlsafe
from fieldkit.checklist.models import Checklist
from fieldkit.checklist.semantics import semantic_problems
from fieldkit.checklist.step_refs import with_step_numbers
from fieldkit.errors import ValidationFailed


@dataclass(frozen=True)
class LoadedChecklist:
    """A validated checklist with what a record needs to prove which file it followed.

    `source_text` is the file as read (UTF-8, BOM removed) and `sha256` the hash of its bytes;
    `origin` says where it was found: `built-in`, `user`, `--checklists`, `FIELDKIT_CHECKLISTS`
    or `file` (a path given on the command line).
    """

    checklist: Checklist
    path: Path
    sha256: str
    source_text: str
    origin: str = "file"


def load_checklist(path: str | Path, origin: str = "file") -> LoadedChecklist:
    """Load and fully validate one checklist file; any problem raises ValidationFailed."""
    path = Path(path)
    loaded = yamlsafe.load_yaml(path)
    return LoadedChecklist(
        checklist=_validated(loaded),
        path=path,
        sha256=loaded.sha256,
        source_text=loaded.text,
        origin=origin,
    )


def checklist_from_text(text: str, filename: str) -> Checklist:
    """A checklist from YAML text (e.g. the copy a visit record keeps), validated exactly like a
    file; `filename` names it in problem lines."""
    return _validated(yamlsafe.parse_yaml(text, filename))


def _validated(loaded: yamlsafe.LoadedYaml) -> Checklist:
    """The model checks, then the cross-step checks; every problem found raises at once."""
    try:
        checklist = Checklist.model_validate(loaded.data)
        problems: list[str] = []
    except ValidationError as error:
        problems = yamlsafe.model_problems(loaded, error, Checklist)
        # A typo'd key is the commonest mistake: report the cross-step problems with it.
        checklist_or_none = _ignoring_unknown_keys(loaded, error)
        if checklist_or_none is None:
            raise ValidationFailed(problems) from None
        checklist = checklist_or_none
    found = sorted(semantic_problems(checklist), key=lambda problem: loaded.where(problem[0]))
    problems += [
        loaded.problem(loc, f"{yamlsafe.format_loc(loaded.data_path(loc))}: {message}")
        for loc, message in found
    ]
    if problems:
        raise ValidationFailed(sorted(problems, key=_position))
    return with_step_numbers(checklist)


def _ignoring_unknown_keys(loaded: yamlsafe.LoadedYaml, error: ValidationError) -> Checklist | None:
    """The checklist without its unknown keys, when those are its only shape problems."""
    if any(item["type"] != "extra_forbidden" for item in error.errors()):
        return None
    data = copy.deepcopy(loaded.data)
    for item in error.errors():
        *parents, key = loaded.data_path(tuple(item["loc"]))
        node = data
        for part in parents:
            node = node[part]
        node.pop(key, None)
    try:
        return Checklist.model_validate(data)
    except ValidationError:
        return None


def _position(problem: str) -> tuple[int, int]:
    """(line, col) of a `file:line:col: message` line, for reporting in file order."""
    match = re.search(r":(\d+):(\d+): ", problem)
    return (int(match[1]), int(match[2])) if match else (0, 0)
