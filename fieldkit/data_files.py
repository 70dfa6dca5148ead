"""The data files (data/*.yaml), each validated through the loader that reads it in use.

A data file is recognised by its name: `sla.yaml` holds the service levels (fieldkit.sla),
`ping_outcomes.yaml` the ping outcome catalogue (fieldkit.ping.catalogue). Problems come back
as `file:line:col: message` lines, like a checklist's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fieldkit.checklist.validation import FileCheck, files_to_check
from fieldkit.errors import ValidationFailed
from fieldkit.paths import data_dir


def _loaders() -> dict[str, Callable[[Path], Any]]:
    """File name -> the function fieldkit reads that file with."""
    from fieldkit.ping.catalogue import CATALOGUE_FILE, load_catalogue_file
    from fieldkit.sla import SLA_FILE, load_sla

    return {SLA_FILE: load_sla, CATALOGUE_FILE: load_catalogue_file}


def check_data(targets: list[Path] | None = None) -> FileCheck:
    """Validate data files and folders; with no targets, the built-in data folder, which must
    hold every data file."""
    loaders = _loaders()
    check = FileCheck()
    if targets:
        files_to_check(targets, check, "data")
    else:
        folder = data_dir()
        files_to_check([folder], check, "data")
        present = {path.name for path in check.files}
        check.problems += [
            f"{folder / name}:1:1: no such file (every fieldkit installation needs it)"
            for name in loaders
            if name not in present
        ]
    for path in check.files:
        load = loaders.get(path.name)
        if load is None:
            known = " and ".join(loaders)
            reason = f"not a fieldkit data file: the data files are named {known}"
            check.add([f"{path}:1:1: {reason if path.exists() else 'no such file'}"])
            continue
        try:
            load(path)
        except ValidationFailed as failure:
            check.add(failure.problems)
        else:
            check.add([])
    return check
