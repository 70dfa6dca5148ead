"""Build dist/fieldkit-offline-<version>.zip: fieldkit for laptops that have no internet at the
customer site (`make offline`).

The zip holds fieldkit's wheel, the wheels of every dependency for Windows (win_amd64), macOS
(arm64 and x86_64, macOS 12 or later) and Linux (manylinux x86_64) on CPython 3.10 to 3.13,
and install.cmd / install.sh, which make a virtual environment and install from the wheels
with --no-index. Downloading needs PyPI; installing needs nothing.

`pip download --platform` resolves environment markers for the machine it runs on, not for
the target (colorama, which click needs on Windows only, would be missing), so every target's
dependency tree is walked again here with that target's markers and wheel tags, and whatever
is missing is fetched for it; `missing_wheels()` is the same check the tests run on the zip.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import email.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "offline"
PYTHONS = ("3.10", "3.11", "3.12", "3.13")


@dataclass(frozen=True)
class Target:
    """One kind of laptop: the wheel platforms it takes and its environment-marker values."""

    name: str
    download_platforms: tuple[str, ...]  # what `pip download --platform` is given
    platforms: tuple[str, ...]  # every platform tag such a laptop accepts
    markers: dict[str, str]


def _manylinux(oldest_glibc_minor: int, newest_glibc_minor: int) -> tuple[str, ...]:
    tags = [f"manylinux_2_{minor}_x86_64" for minor in range(newest_glibc_minor,
                                                              oldest_glibc_minor - 1, -1)]
    return (*tags, "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64")


TARGETS = (
    Target("Windows x86-64", ("win_amd64",), ("win_amd64",),
           {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
            "platform_machine": "AMD64"}),
    Target("macOS arm64", ("macosx_12_0_arm64",), tuple(mac_platforms((12, 0), "arm64")),
           {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
            "platform_machine": "arm64"}),
    Target("macOS x86-64", ("macosx_12_0_x86_64",), tuple(mac_platforms((12, 0), "x86_64")),
           {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
            "platform_machine": "x86_64"}),
    # glibc 2.17 (manylinux2014) is the oldest Linux the wheels are picked for.
    Target("Linux x86-64", ("manylinux2014_x86_64", "manylinux_2_17_x86_64"), _manylinux(5, 17),
           {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
            "platform_machine": "x86_64"}),
)  # fmt: skip


def version() -> str:
    text = (REPO / "fieldkit" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise SystemExit("no __version__ in fieldkit/__init__.py")
    return match.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "dist",
                        help="folder for the zip (default: dist/)")  # fmt: skip
    args = parser.parse_args(argv)
    bundle = build(args.out)
    print(bundle)
    return 0


def build(out: Path) -> Path:
    """Build the bundle into `out` and return its path."""
    name = f"fieldkit-offline-{version()}"
    with tempfile.TemporaryDirectory(prefix="fieldkit-offline-") as work:
        wheels = Path(work) / "wheels"
        wheels.mkdir()
        _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(wheels), str(REPO)])
        (fieldkit_wheel,) = wheels.glob("fieldkit-*.whl")
        jobs = [(target, python) for target in TARGETS for python in PYTHONS]
        # Each download is mostly waiting on PyPI: a few at once, each into its own folder.
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            folders = pool.map(lambda job: _complete_set(fieldkit_wheel, *job, Path(work)), jobs)
            for folder in folders:
                for wheel in folder.glob("*.whl"):
                    if not (wheels / wheel.name).exists():
                        wheel.rename(wheels / wheel.name)
        out.mkdir(parents=True, exist_ok=True)
        bundle = out / f"{name}.zip"
        partial = out / f".{name}.zip.partial"
        _write_zip(partial, name, wheels)
        os.replace(partial, bundle)
    return bundle


def _complete_set(fieldkit_wheel: Path, target: Target, python: str, work: Path) -> Path:
    """A folder holding fieldkit and every wheel it needs on `target` with `python`."""
    wheels = Path(tempfile.mkdtemp(dir=work))
    shutil.copy2(fieldkit_wheel, wheels)
    _download(target, python, wheels, [str(fieldkit_wheel)], with_deps=True)
    for _ in range(10):  # each round may bring wheels with requirements of their own
        missing = missing_wheels(wheels, target, python)
        if not missing:
            return wheels
        # Names and versions only: pip would judge a marker by this machine, not the target.
        wanted = [f"{requirement.name}{requirement.specifier}" for requirement in missing]
        _download(target, python, wheels, wanted, with_deps=False)
    raise SystemExit(f"{target.name}, Python {python}: cannot complete {missing}")


def _download(target: Target, python: str, wheels: Path, requirements: list[str], *,
              with_deps: bool) -> None:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               "--only-binary=:all:", "--implementation", "cp", "--python-version", python,
               "--dest", str(wheels)]  # fmt: skip
    for platform in target.download_platforms:
        command += ["--platform", platform]
    if not with_deps:
        command.append("--no-deps")
    _run(command + requirements)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:6])} ... failed:\n{done.stdout}{done.stderr}")


def supported_tags(target: Target, python: str) -> set[Tag]:
    major, minor = (int(part) for part in python.split("."))
    platforms = list(target.platforms)
    return {
        *cpython_tags((major, minor), platforms=platforms),
        *compatible_tags((major, minor), interpreter=f"cp{major}{minor}", platforms=platforms),
    }


def missing_wheels(wheels: Path, target: Target, python: str) -> list[Requirement]:
    """Requirements of fieldkit's tree, under `target`'s markers on `python`, that no wheel in
    `wheels` satisfies with a tag the target accepts."""
    tags = supported_tags(target, python)
    available: dict[str, list[tuple[str, Path]]] = {}
    for wheel in wheels.glob("*.whl"):
        name, wheel_version, _, wheel_tags = parse_wheel_filename(wheel.name)
        if wheel_tags & tags:
            available.setdefault(name, []).append((str(wheel_version), wheel))
    environment = {**target.markers, "python_version": python,
                   "python_full_version": f"{python}.0", "implementation_name": "cpython",
                   "platform_python_implementation": "CPython", "extra": ""}  # fmt: skip
    missing: list[Requirement] = []
    seen: set[str] = set()
    pending = [Requirement("fieldkit")]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        candidates = [(found_version, wheel) for found_version, wheel in available.get(name, [])
                      if requirement.specifier.contains(found_version, prereleases=True)]
        if not candidates:
            missing.append(requirement)
            continue
        if name in seen:
            continue
        seen.add(name)
        _, wheel = max(candidates, key=lambda candidate: Version(candidate[0]))
        for line in _requires(wheel):
            dependency = Requirement(line)
            if dependency.marker is None or dependency.marker.evaluate(environment):
                pending.append(dependency)
    return missing


def _requires(wheel: Path) -> Iterable[str]:
    with zipfile.ZipFile(wheel) as archive:
        metadata_name = next(name for name in archive.namelist()
                             if name.endswith(".dist-info/METADATA"))  # fmt: skip
        metadata = email.parser.BytesParser().parsebytes(archive.read(metadata_name))
    return metadata.get_all("Requires-Dist") or []


def _write_zip(path: Path, name: str, wheels: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for script in ("install.sh", "README.txt"):
            _add_text(bundle, f"{name}/{script}", (HERE / script).read_text(encoding="utf-8"),
                      executable=script.endswith(".sh"))  # fmt: skip
        # cmd.exe reads batch files line by line and wants CRLF.
        cmd = (HERE / "install.cmd").read_text(encoding="utf-8").replace("\n", "\r\n")
        _add_text(bundle, f"{name}/install.cmd", cmd, executable=False)
        for wheel in sorted(wheels.glob("*.whl")):
            bundle.write(wheel, f"{name}/wheels/{wheel.name}")


def _add_text(bundle: zipfile.ZipFile, name: str, text: str, *, executable: bool) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    bundle.writestr(info, text.encode("utf-8"))


if __name__ == "__main__":
    raise SystemExit(main())
