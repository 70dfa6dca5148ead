"""Reading record files in worker processes, handing the outcomes back in SOURCE order.

Reading a record (parse, validate, check the digest) costs far more than everything the
report does with it afterwards, and records are independent, so workers read them and send
back only what the report needs (`RecordReading.prepare`: a few facts and rows, not the
record). The reader handles the outcomes in the order of the jobs, so duplicates, notes and
rows come out exactly as when one process reads everything.

Small reports are read in this process: the first `PARALLEL_AFTER` files are read before any
worker starts, which costs nothing on Linux (fork) but a second or more on Windows (spawn).
Memory stays bounded: at most `IN_FLIGHT_CHUNKS` chunks of `CHUNK` jobs are out at a time.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from fieldkit.records.sources import ReadOutcome, RecordJob, RecordReading

PARALLEL_AFTER = 500  # files read in this process before workers start
CHUNK = 32  # jobs per task sent to a worker: fewer round trips, still a smooth progress bar
IN_FLIGHT_CHUNKS = 4  # per worker

Handler = TypeVar("Handler")


def default_workers() -> int:
    """One worker per CPU (the main process mostly waits for them), at most eight."""
    return max(1, min(os.cpu_count() or 1, 8))


def read_in_order(
    jobs: Iterable[tuple[Handler, RecordJob | None]],
    reading: RecordReading[Any],
    *,
    workers: int,
) -> Iterator[tuple[Handler, ReadOutcome[Any] | None]]:
    """Each job's handler with the outcome of reading its file (None for a job without a
    file), in the order of `jobs`."""
    jobs = iter(jobs)
    parallel_after = PARALLEL_AFTER
    done = 0
    for handler, job in jobs:
        yield handler, None if job is None else reading.read(job)
        done += job is not None
        if workers > 1 and done >= parallel_after:
            break
    else:
        return
    yield from _read_in_workers(jobs, reading, workers)


def _read_in_workers(
    jobs: Iterator[tuple[Handler, RecordJob | None]], reading: RecordReading[Any], workers: int
) -> Iterator[tuple[Handler, ReadOutcome[Any] | None]]:
    pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(reading,))
    pending: deque[tuple[list[tuple[Handler, RecordJob | None]], Future[list[Any]] | None]]
    pending = deque()

    def send_next_chunk() -> bool:
        chunk = list(islice(jobs, CHUNK))
        if not chunk:
            return False
        files = [job for _, job in chunk if job is not None]
        pending.append((chunk, pool.submit(_read_chunk, files) if files else None))
        return True

    try:
        while len(pending) < workers * IN_FLIGHT_CHUNKS and send_next_chunk():
            pass
        while pending:
            chunk, future = pending.popleft()
            outcomes = iter(future.result() if future is not None else ())
            send_next_chunk()
            for handler, job in chunk:
                yield handler, None if job is None else next(outcomes)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_worker_reading: RecordReading[Any] | None = None


def _start_worker(reading: RecordReading[Any]) -> None:
    global _worker_reading
    _worker_reading = reading
    # Ctrl-C reaches every process of the terminal's group: the main process stops the pool,
    # and a worker's own KeyboardInterrupt would only print a traceback on the way out.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _read_chunk(files: list[RecordJob]) -> list[ReadOutcome[Any]]:
    read: Callable[[RecordJob], ReadOutcome[Any]] = _worker_reading.read  # type: ignore[union-attr]
    return [read(job) for job in files]
