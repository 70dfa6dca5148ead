"""Where closure files live, found without reading them (and without the models that do)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from fieldkit.records.identity import is_visit_id

CLOSURES_DIR = "closures"


def iter_closure_files(root: Path) -> Iterator[Path]:
    """Every `closures/*.json` under `root`, in a stable order; visit folders are not entered
    (closures live beside them, never inside)."""
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        if here.name == CLOSURES_DIR:
            subfolders.clear()
            for name in sorted(files):
                if name.endswith(".json") and not name.startswith("."):
                    yield here / name
            continue
        subfolders[:] = sorted(name for name in subfolders if not is_visit_id(name))
