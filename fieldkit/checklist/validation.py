"""`validate` over files and folders: every problem of every file, as `file:line:col: message`.

Each file is loaded through `load.load_checklist`, the one validating path; on top, two files of
one folder must not share an `id`, since the search path would silently use only the later one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fieldkit import yamlsafe
from fieldkit.checklist.load import load_checklist
from fieldkit.checklist.registry import checklist_files
from fieldkit.errors import ValidationFailed


@dataclass
class FileCheck:
    """What a validate run found: the files it read and every problem line."""

    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failed_files: int = 0

    def add(self, file_problems: list[str]) -> None:
        self.problems += file_problems
        self.failed_files += bool(file_problems)


def files_to_check(targets: list[Path], check: FileCheck, what: str) -> None:
    """Add the files named or found in folders (*.yaml, *.yml) to `check`; an empty folder is a
    problem, so a mistyped folder never passes as "nothing wrong"."""
    for target in targets:
        if target.is_dir():
            found = checklist_files(target)
            if not found:
                check.problems.append(f"{target}: no {what} files (*.yaml, *.yml) in this folder")
            check.files += found
        else:
            check.files.append(target)


def check_checklists(targets: list[Path]) -> FileCheck:
    """Validate checklist files and folders."""
    check = FileCheck()
    files_to_check(targets, check, "checklist")
    first_with_id: dict[tuple[Path, str], Path] = {}
    for path in check.files:
        try:
            loaded = load_checklist(path)
        except ValidationFailed as failure:
            check.add(failure.problems)
            continue
        resolved = path.resolve()
        earlier = first_with_id.setdefault((resolved.parent, loaded.checklist.id), resolved)
        if earlier == resolved:
            check.add([])
            continue
        where = yamlsafe.parse_yaml(loaded.source_text, str(path))
        message = (
            f"id: {loaded.checklist.id!r} is already the id of {earlier.name} in this folder; "
            "the search path would use only one of the two files"
        )
        check.add([where.problem(("id",), message)])
    return check
