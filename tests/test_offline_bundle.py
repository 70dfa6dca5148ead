"""`make offline`: the bundle holds a complete set of wheels for every laptop it is made for,
and installs on this machine from the wheels alone, with no index and (as root) no network."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldkit import __version__

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
import offline_bundle  # noqa: E402 - tools/ is not a package

pytestmark = pytest.mark.slow
TOP = f"fieldkit-offline-{__version__}"


NO_NETWORK = re.compile(r"NewConnectionError|Temporary failure in name resolution|Network is "
                        r"unreachable|ConnectTimeout|ProxyError|Name or service not known")


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Built once per test session: it downloads some 50 wheels from PyPI (a package index)."""
    out = tmp_path_factory.mktemp("offline")
    done = subprocess.run([sys.executable, str(REPO / "tools" / "offline_bundle.py"),
                           "--out", str(out)], capture_output=True, text=True, check=False)
    if done.returncode != 0 and NO_NETWORK.search(done.stdout + done.stderr):
        reason = "building the offline bundle needs PyPI, which cannot be reached from here"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must reach it\n{done.stderr[-2000:]}")
        pytest.skip(reason)
    assert done.returncode == 0, done.stdout + done.stderr
    path = out / f"{TOP}.zip"
    assert done.stdout.strip() == str(path)
    yield path


@pytest.fixture(scope="session")
def unpacked(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # As copied from a USB stick into a folder whose name has a space and Chinese in it.
    place = tmp_path_factory.mktemp("usb") / "U盘 备份"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(place)
        for info in archive.infolist():  # zipfile does not restore the executable bit
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                (place / info.filename).chmod(mode)
    return place / TOP


def test_the_bundle_has_the_scripts_and_fieldkits_own_wheel(bundle: Path) -> None:
    names = zipfile.ZipFile(bundle).namelist()
    assert {f"{TOP}/install.sh", f"{TOP}/install.cmd", f"{TOP}/README.txt",
            f"{TOP}/wheels/fieldkit-{__version__}-py3-none-any.whl"} <= set(names)  # fmt: skip
    assert all(name.startswith(f"{TOP}/") for name in names)
    cmd = zipfile.ZipFile(bundle).read(f"{TOP}/install.cmd")
    assert cmd.count(b"\r\n") == cmd.count(b"\n")  # cmd.exe wants CRLF throughout
    assert b"--no-index" in cmd and b"%HERE%wheels" in cmd


@pytest.mark.parametrize("python", offline_bundle.PYTHONS)
@pytest.mark.parametrize("target", offline_bundle.TARGETS, ids=lambda target: target.name)
def test_every_laptop_finds_every_wheel_it_needs(
    unpacked: Path, target: offline_bundle.Target, python: str
) -> None:
    """The whole dependency tree, judged with that laptop's markers (colorama on Windows
    only) and wheel tags (pydantic-core, PyYAML and psutil are compiled per platform)."""
    wheels = unpacked / "wheels"
    assert offline_bundle.missing_wheels(wheels, target, python) == []
    tags = offline_bundle.supported_tags(target, python)
    for compiled in ("pydantic_core", "pyyaml", "psutil"):
        fitting = [wheel.name for wheel in wheels.glob(f"{compiled}-*.whl")
                   if offline_bundle.parse_wheel_filename(wheel.name)[3] & tags]  # fmt: skip
        assert fitting, f"no {compiled} wheel for {target.name}, Python {python}"


def test_it_installs_from_the_wheels_alone_and_runs(unpacked: Path, tmp_path: Path) -> None:
    venv = tmp_path / "李工的 fieldkit"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env |= {"PIP_CONFIG_FILE": os.devnull, "PYTHON": sys.executable}  # no index, no find-links
    command = ["sh", str(unpacked / "install.sh"), str(venv)]
    if os.geteuid() == 0 and shutil.which("unshare"):
        command = ["unshare", "--net", *command]  # a network namespace with no way out
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"fieldkit {__version__}" in done.stdout
    fieldkit = venv / "bin" / "fieldkit"
    listed = subprocess.run(
        [str(fieldkit), "checklists", "list", "--json"], cwd=tmp_path, capture_output=True,
        text=True, timeout=60, check=False,
        env={**env, "FIELDKIT_CACHE": str(tmp_path / "cache"),
             "FIELDKIT_USER_CHECKLISTS": str(tmp_path / "mine")},
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "lan-turnup" in listed.stdout


def test_install_sh_refuses_a_python_it_has_no_wheels_for(unpacked: Path, tmp_path: Path) -> None:
    fake = tmp_path / "python3.9"
    fake.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")  # fails the version check
    fake.chmod(0o755)
    done = subprocess.run(["sh", str(unpacked / "install.sh"), str(tmp_path / "venv")],
                          env={**os.environ, "PYTHON": str(fake)}, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 1
    assert "needs Python 3.10 to 3.13" in done.stderr
    assert not (tmp_path / "venv").exists()
