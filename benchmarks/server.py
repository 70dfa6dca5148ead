"""The centre's store on PostgreSQL: ingest rate from concurrent `fieldkit sync` clients,
`report summary --server` over many records, and the server's memory under that load.

    .venv/bin/python benchmarks/server.py [--clients 8] [--visits 2000] [--records 1000000]

A throw-away PostgreSQL cluster is started as in the tests (tests/pgcluster.py: initdb in a
temporary folder, 127.0.0.1 on its own port, as nobody when run as root) unless --db names
one. `fieldkit server run` (one uvicorn process) serves it on 127.0.0.1.

1. Ingest: --visits finished records (benchmarks/make_records.py) split over --clients
   engineers, each with their own records folder; all `fieldkit sync` processes start at once;
   the rate is visits stored / wall time until the last one exits. The CPU-seconds the `sync`
   processes and the server used meanwhile are printed too (PostgreSQL's are not).
2. Summary: the derived tables are filled to --records visits by copying the derived rows of
   3,000 generated records under new visit ids (PostgreSQL COPY; what `sync` would have
   stored, without pushing a million records over HTTP first; the copies' `records.content` is
   left empty, since the summary never reads it) and vacuumed (as autovacuum would), then
   `fieldkit report summary --server --json` runs as a supervisor would (as admin: every
   visit). Best of 3.
3. Memory: the peak resident memory of the server process, sampled every 20 ms through both.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from make_records import ENGINEERS, RecordMaker, record_bytes  # noqa: E402

from fieldkit.records.models import VisitStatus  # noqa: E402
from fieldkit.server import db, migrate, tables  # noqa: E402
from fieldkit.server.auth import new_token  # noqa: E402
from fieldkit.server.derived import Derived  # noqa: E402
from fieldkit.sla import load_sla  # noqa: E402

TODAY = date(2024, 6, 30)
TARGETS = {"ingest": 300.0, "summary": 5.0, "memory": 300.0}


class PeakMemory:
    """Samples a process's resident memory every 20 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 1024 / 1024


def finished(count: int, seed: int) -> list:  # type: ignore[type-arg]
    maker = RecordMaker(seed, TODAY)
    found = []
    while len(found) < count:
        record, damage = maker.visit()
        if not damage and record.status is not VisitStatus.IN_PROGRESS:
            found.append(record)
    return found


def start_server(url: str, port: int, home: Path) -> subprocess.Popen[bytes]:
    import socket

    server = subprocess.Popen(
        [sys.executable, "-m", "fieldkit", "server", "run", "--db", url, "--port", str(port)],
        env={**os.environ, "FIELDKIT_CONFIG": str(home / "config.yaml")},
    )
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def cpu_seconds(process: psutil.Process) -> tuple[float, float]:
    """CPU time so far of `process` and of this script's children that have been waited for."""
    own = process.cpu_times()
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.user + own.system, waited.ru_utime + waited.ru_stime


def ingest(url: str, base: str, tokens: dict[str, str], clients: int, visits: int,
           work: Path, server: psutil.Process) -> tuple[float, int, float, float]:  # fmt: skip
    """Seconds, visits stored, and the CPU-seconds the server and the sync processes used."""
    records = finished(visits, seed=41)
    engineers = ENGINEERS[:clients]
    processes = []
    for number, engineer in enumerate(engineers):
        folder = work / f"laptop-{number}" / "records"
        for record in records[number::clients]:
            own = record.model_copy(update={"engineer": engineer, "digest": None}).sealed()
            (folder / own.visit_id).mkdir(parents=True, exist_ok=True)
            (folder / own.visit_id / "visit.json").write_bytes(record_bytes(own))
    server_before, clients_before = cpu_seconds(server)
    started = time.perf_counter()
    for number, engineer in enumerate(engineers):
        home = work / f"laptop-{number}"
        env = {**os.environ, "FIELDKIT_RECORDS": str(home / "records"),
               "FIELDKIT_CONFIG": str(home / "config.yaml"), "FIELDKIT_CACHE": str(home / "cache"),
               "FIELDKIT_USER_CHECKLISTS": str(home / "checklists")}  # fmt: skip
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "fieldkit", "sync", "--server", base, "--token",
             tokens[engineer]], env=env, stdout=subprocess.DEVNULL,
        ))  # fmt: skip
    codes = [process.wait() for process in processes]
    elapsed = time.perf_counter() - started
    server_after, clients_after = cpu_seconds(server)
    if any(codes):
        raise SystemExit(f"a sync failed: exit codes {codes}")
    engine = db.make_engine(url)
    with engine.connect() as conn:
        stored = len(list(db.visit_digests(conn, db.VisitScope())))
    engine.dispose()
    return elapsed, stored, server_after - server_before, clients_after - clients_before


def fill(url: str, total: int) -> float:
    """Copy the derived rows of 3,000 generated records until the tables hold `total` visits."""
    import psycopg

    engine = db.make_engine(url)
    with engine.connect() as conn:
        already = len(list(db.visit_digests(conn, db.VisitScope())))
    engine.dispose()
    wanted = total - already
    if wanted <= 0:
        return 0.0
    derived = Derived(load_sla())
    base = [derived.rows(record, "north") for record in finished(3000, seed=42)]
    derived_tables = [
        tables.visits,
        tables.steps,
        tables.pings,
        tables.repair_windows,
        tables.followups,
    ]
    started = time.perf_counter()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    counter = itertools.count()
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        ids = [f"{rows[tables.visits][0]['visit_id'][:17]}-C{next(counter):09d}"
               for rows in itertools.islice(itertools.cycle(base), wanted)]  # fmt: skip
        with cursor.copy("COPY records (visit_id, digest, content, pushed_by, received_at) "
                         "FROM STDIN") as copy:  # fmt: skip
            for visit_id in ids:
                copy.write_row((visit_id, "0" * 64, "{}", "benchmark", "2024-06-30T00:00:00Z"))
        for table in derived_tables:
            columns = [column.name for column in table.columns]
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for visit_id, rows in zip(ids, itertools.cycle(base)):
                    old = rows[tables.visits][0]["visit_id"]
                    for row in rows[table]:
                        values = dict(row, visit_id=visit_id)
                        if table is tables.followups:
                            values["item_id"] = values["item_id"].replace(old, visit_id)
                        copy.write_row([values[name] for name in columns])
        connection.commit()
        # What autovacuum does after a bulk insert, without waiting for it: statistics, and the
        # visibility map that lets the summary read the failed steps from their index alone.
        connection.autocommit = True
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def summary_seconds(base: str, token: str, runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "fieldkit", "report", "summary", "--server", base, "--token",
             token, "--json"], check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--visits", type=int, default=2000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--db", help="a PostgreSQL URL (default: a throw-away cluster)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="fieldkit-server-bench-"))
    cluster = None
    if args.db:
        url = args.db
    else:
        from pgcluster import start_cluster, stop_cluster

        cluster = start_cluster()
        url = cluster.new_database()
    try:
        engine = db.make_engine(url)
        migrate.upgrade(engine)
        tokens = {name: new_token() for name in [*ENGINEERS, "admin"]}
        with engine.begin() as conn:
            for name, token in tokens.items():
                db.add_user(conn, name, "admin" if name == "admin" else "engineer", "north", token)
        engine.dispose()
        from pgcluster import _free_port

        port = _free_port()
        server = start_server(url, port, work)
        base = f"http://127.0.0.1:{port}"
        memory = PeakMemory(server.pid)
        try:
            elapsed, stored, server_cpu, clients_cpu = ingest(
                url, base, tokens, args.clients, args.visits, work, psutil.Process(server.pid)
            )
            rate = stored / elapsed
            load_time = fill(url, args.records)
            times = summary_seconds(base, tokens["admin"])
        finally:
            peak = memory.stop()
            server.terminate()
            server.wait()
        cpus = os.cpu_count()
        print(f"PostgreSQL, {cpus} CPUs, load average {os.getloadavg()[0]:.2f}")
        print("| measure | result | target | met |")
        print("|---|---|---|---|")
        print(
            f"| ingest: {stored} visits from {args.clients} concurrent `sync` clients | "
            f"{rate:.0f} visits/s ({elapsed:.1f} s) | >= {TARGETS['ingest']:.0f}/s | "
            f"{'yes' if rate >= TARGETS['ingest'] else 'no'} |"
        )
        best = min(times)
        print(
            f"| `report summary --server` over {args.records:,} visits (best of 3: "
            f"{', '.join(f'{t:.2f}' for t in times)}) | {best:.2f} s | "
            f"<= {TARGETS['summary']:.0f} s | {'yes' if best <= TARGETS['summary'] else 'no'} |"
        )
        print(
            f"| server peak resident memory, both runs | {peak:.0f} MB | "
            f"<= {TARGETS['memory']:.0f} MB | {'yes' if peak <= TARGETS['memory'] else 'no'} |"
        )
        print(f"(filling the derived tables took {load_time:.0f} s)")
        print(f"(CPU during the ingest: the {args.clients} `sync` processes {clients_cpu:.1f} s, "
              f"the server {server_cpu:.1f} s; PostgreSQL's not counted)")  # fmt: skip
    finally:
        if cluster is not None:
            stop_cluster(cluster)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
