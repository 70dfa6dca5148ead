"""Run fieldkit as the unprivileged user nobody (uid 65534) from a test that runs as root.

Root may enter any folder, so a permission test has to drop to another user. That user may
not be able to reach the checkout: a clone under a 0700 home, its .venv inside it, pytest's
own /tmp/pytest-of-root (0700). So fieldkit, its built-in content and the packages it imports
are copied into a world-readable folder, and the command runs from the copy with the base
interpreter. When nobody cannot run even that interpreter, the test is skipped with the
reason."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

NOBODY = 65534
REPO = Path(__file__).resolve().parent.parent


@dataclass
class Nobody:
    """A world-readable folder (`home`) and the way to run fieldkit in it as nobody."""

    home: Path
    python: str
    site: Path

    def command(self, *args: str) -> list[str]:
        return [
            "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
            self.python, "-s", "-m", "fieldkit", *args,
        ]  # fmt: skip

    def env(self, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("FIELDKIT_")}
        env.pop("PYTHONHOME", None)
        return {**env, "PYTHONPATH": str(self.site), "HOME": str(self.home), **extra}


@contextmanager
def nobody_runs_fieldkit() -> Iterator[Nobody]:
    """A copy of fieldkit that uid 65534 can run; skips when this machine cannot do that."""
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("needs root, to drop to uid 65534")
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv (util-linux) to drop root")
    home = Path(tempfile.mkdtemp(prefix="fieldkit-nobody-"))
    try:
        home.chmod(0o755)
        site = home / "site"
        _copy_runtime(site)
        nobody = Nobody(home=home, python=_base_python(), site=site)
        probe = subprocess.run(
            nobody.command("--version"), env=nobody.env(), capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip
        if probe.returncode != 0:
            last_line = (probe.stderr.strip().splitlines() or ["no output"])[-1]
            pytest.skip(f"uid {NOBODY} cannot run {nobody.python} here: {last_line}")
        yield nobody
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _base_python() -> str:
    """The interpreter behind the venv: the venv's own bin/ may sit in an unreachable checkout."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def _copy_runtime(site: Path) -> None:
    """fieldkit as the repository has it, and every installed distribution it depends on."""
    shutil.copytree(REPO / "fieldkit", site / "fieldkit", ignore=_no_caches)
    for content in ("checklists", "data"):  # paths.builtin_dir looks next to the package
        shutil.copytree(REPO / content, site / content)
    for name in sorted(_runtime_dependencies("fieldkit")):
        dist = importlib.metadata.distribution(name)
        root = Path(str(dist.locate_file(""))).resolve()
        for file in dist.files or []:
            source = Path(str(dist.locate_file(file))).resolve()
            if "__pycache__" in source.parts or not source.is_relative_to(root):
                continue  # scripts in bin/ and compiled caches are not needed
            target = site / source.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for folder, _, _ in os.walk(site):
        Path(folder).chmod(0o755)


def _runtime_dependencies(name: str) -> set[str]:
    """The installed distributions `name` needs at run time here, transitively (no extras)."""
    found: set[str] = set()
    pending = [name]
    while pending:
        for line in importlib.metadata.requires(pending.pop()) or []:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            dependency = canonicalize_name(requirement.name)
            if dependency not in found:
                found.add(dependency)
                pending.append(dependency)
    return found


def _no_caches(_folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "__pycache__"]
