"""The wheel carries the built-in checklists and data: installed into a fresh venv and run from
another folder, fieldkit lists, shows and validates every built-in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fieldkit.paths import builtin_checklists_dir

REPO = Path(__file__).resolve().parent.parent
BUILTIN_IDS = sorted(path.stem for path in builtin_checklists_dir().glob("*.yaml"))

pytestmark = pytest.mark.slow


def run(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd, env=env)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `fieldkit` script of a fresh venv with only the wheel (and its dependencies) in it."""
    root = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(root / "dist"), str(REPO)])
    (wheel,) = (root / "dist").glob("fieldkit-*.whl")
    run([sys.executable, "-m", "venv", str(root / "venv")])
    bin_dir = root / "venv" / ("Scripts" if os.name == "nt" else "bin")
    run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
    return bin_dir / "fieldkit"


@pytest.fixture
def elsewhere(tmp_path: Path) -> dict[str, Any]:
    """Run from a folder with no checklists/ in sight, with a private cache and user folder."""
    env = {
        **os.environ,
        "FIELDKIT_CACHE": str(tmp_path / "cache"),
        "FIELDKIT_USER_CHECKLISTS": str(tmp_path / "user-checklists"),
        "FIELDKIT_LANG": "en",
    }
    env.pop("FIELDKIT_CHECKLISTS", None)
    return {"cwd": tmp_path, "env": env}


def installed_location(installed: Path, elsewhere: dict[str, Any], function: str) -> str:
    """What `module.function()` returns in the installed package: where it reads a file from."""
    module, name = function.rsplit(".", 1)
    code = f"from {module} import {name}; print({name}())"
    return run([str(installed.parent / "python"), "-c", code], **elsewhere).stdout.strip()


def test_the_installed_package_lists_every_builtin(
    installed: Path, elsewhere: dict[str, Any]
) -> None:
    listed = run([str(installed), "checklists", "list"], **elsewhere).stdout.splitlines()
    rows = {line.split()[0]: line for line in listed[1:]}
    assert sorted(rows) == BUILTIN_IDS
    assert all(row.endswith("built-in") for row in rows.values())
    assert "LAN leased-line turn-up" in rows["lan-turnup"]


def test_the_installed_package_shows_and_validates_every_builtin(
    installed: Path, elsewhere: dict[str, Any]
) -> None:
    for checklist_id in BUILTIN_IDS:
        shown = run([str(installed), "checklists", "show", checklist_id], **elsewhere).stdout
        assert f"{checklist_id} v" in shown
    where = installed_location(installed, elsewhere, "fieldkit.paths.builtin_checklists_dir")
    assert "_builtin" in where
    files = sorted(str(path) for path in Path(where).glob("*.yaml"))
    validated = run([str(installed), "checklists", "validate", *files], **elsewhere)
    assert validated.stdout == f"ok: {len(BUILTIN_IDS)} checklist file(s) valid\n"
    tools = run([str(installed), "tools", "lan-turnup"], **elsewhere).stdout
    assert "[ ] 2 × pigtail SC-SC" in tools


def test_the_installed_package_validates_its_data(
    installed: Path, elsewhere: dict[str, Any]
) -> None:
    validated = run([str(installed), "data", "validate"], **elsewhere)
    assert validated.stdout == "ok: 2 data file(s) valid\n"
    where = installed_location(installed, elsewhere, "fieldkit.sla.default_sla_path")
    assert "_builtin" in where
