"""A throw-away PostgreSQL cluster for the server's tests, and a fresh database per test.

initdb runs in a temporary folder owned by an unprivileged user (CI runs as root, and
PostgreSQL refuses to run as root); the server listens on 127.0.0.1 on a port of its own and on
a Unix socket in that folder, and is stopped (and the folder removed) after the session. When
no PostgreSQL is installed the tests that need it are skipped with the reason; `.ci/run`
installs it, so CI always runs them.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

NOBODY = 65534
SUPERUSER = "fieldkit"


def postgres_bin_dir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: on PATH, else Debian's versioned folders
    (/usr/lib/postgresql/<major>/bin, the newest first), which Debian keeps off PATH."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
        reverse=True,
    )
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    folder: Path
    port: int
    bin_dir: Path
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


def start_cluster() -> Cluster:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (initdb not found); .ci/run installs it")
    folder = Path(tempfile.mkdtemp(prefix="fieldkit-pg-", dir="/tmp"))
    data = folder / "data"
    data.mkdir(mode=0o700)
    if os.geteuid() == 0:
        for path in (folder, data):
            os.chown(path, NOBODY, NOBODY)
    environment = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "HOME": str(folder)}
    subprocess.run(
        _as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                   "--encoding=UTF8", "--no-sync"]),
        check=True, capture_output=True, env=environment, cwd=folder,
    )  # fmt: skip
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
        "-c fsync=off -c max_connections=200 -c shared_buffers=64MB"
    )
    subprocess.run(
        _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "60",
                   "-l", str(folder / "server.log"), "start"]),
        check=True, capture_output=True, env=environment, cwd=folder,
    )  # fmt: skip
    return Cluster(folder, port, bin_dir)


def stop_cluster(cluster: Cluster) -> None:
    subprocess.run(
        _as_owner([str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.folder / "data"), "-m",
                   "immediate", "-w", "stop"]),
        capture_output=True, cwd=cluster.folder, check=False,
    )  # fmt: skip
    shutil.rmtree(cluster.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each server test runs once on SQLite and once on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()
