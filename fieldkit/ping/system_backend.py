"""The fallback backend: run the system `ping` and read its output as it comes.

Used where no ICMP socket may be opened (Windows without administrator rights, Linux
without unprivileged ICMP), and for IPv6 targets. The output goes through the transcript
parser line by line, so each reply reaches `on_reply` as the system prints it.
"""

from __future__ import annotations

import codecs
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fieldkit.errors import UserInputError
from fieldkit.ping.model import ProbePlan, Reply, Statistics
from fieldkit.ping.transcript import TranscriptParser, decode

_STOP_POLL_S = 0.1
_READ_SIZE = 1 << 16


@dataclass
class SystemRun:
    replies: list[Reply] = field(default_factory=list)
    sent: int = 0
    stopped: bool = False
    unknown_host: bool = False
    detail: str | None = None
    # Set when `ping` could not test at all (cannot start, or printed nothing fieldkit reads).
    failure: str | None = None
    reported: Statistics | None = None


def find_system_ping() -> str | None:
    return shutil.which("ping")


def ping_command(ping: str, address: str, plan: ProbePlan) -> list[str]:
    """The platform's own options for the same test."""
    count, interval_s, timeout_s, source = plan.count, plan.interval_s, plan.timeout_s, plan.source
    if sys.platform == "win32":
        args = [ping, "-n", str(count)] if count is not None else [ping, "-t"]
        args += ["-w", str(max(1, round(timeout_s * 1000))), "-l", str(plan.size)]
        return [*args, *(["-S", source] if source else []), address]
    busybox = Path(os.path.realpath(ping)).name.startswith("busybox")
    args = [ping] + (["-c", str(count)] if count is not None else [])
    # BusyBox and macOS take whole seconds for -W (macOS: milliseconds on newer releases,
    # where leaving it out keeps its own default); iputils takes a fraction and -O prints
    # each lost request as it gives up on it.
    if sys.platform == "linux" and not busybox:
        args += ["-n", "-O", "-i", f"{interval_s:g}", "-W", f"{timeout_s:g}"]
    elif busybox:
        args += ["-W", str(max(1, math.ceil(timeout_s)))]
    else:
        args += ["-n", "-i", f"{interval_s:g}"]
    args += ["-s", str(plan.size)]
    if source:
        args += ["-I" if sys.platform == "linux" else "-S", source]
    return [*args, address]


def run_system(
    ping: str,
    address: str,
    plan: ProbePlan,
    *,
    on_reply: Callable[[Reply], None] | None,
    stop: Callable[[], bool],
    is_local: Callable[[str], bool],
) -> SystemRun:
    command = ping_command(ping, address, plan)
    parser = TranscriptParser(is_local=is_local, target=address, address=address)
    run = SystemRun()
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    except OSError as error:
        run.failure = f"cannot run {ping}: {error.strerror}"
        return run
    watcher = threading.Thread(target=_stop_when_asked, args=(process, stop, run), daemon=True)
    watcher.start()
    assert process.stdout is not None
    last_line = ""
    output = OutputLines()
    while True:
        # What has arrived so far, so that each reply is shown as the system prints it.
        chunk = os.read(process.stdout.fileno(), _READ_SIZE)
        for line in output.feed(chunk):
            last_line = line.strip() or last_line
            reply = parser.feed(line)
            if reply is not None and on_reply is not None:
                on_reply(reply)
        if not chunk:
            break
    process.wait()
    watcher.join()
    if not parser.recognised:
        run.failure = f"{Path(ping).name}: {last_line or f'exit status {process.returncode}'}"
        return run
    run.replies, run.sent = parser.finish()
    run.unknown_host = parser.unknown_host is not None
    run.detail = parser.detail
    run.reported = parser.reported
    return run


class OutputLines:
    """The system ping's output as text lines, each as soon as it is complete.

    Windows' ping writes the console's code page (GBK on a Chinese laptop, where a line is
    decoded as UTF-8 or else GBK, as a saved transcript is), and UTF-16 when a shell
    re-encodes it. UTF-16 cannot be cut into lines at the newline byte, so the encoding is
    settled from the first bytes and UTF-16 is decoded as a stream."""

    def __init__(self) -> None:
        self._pending = b""
        self._settled = False
        self._utf16: codecs.IncrementalDecoder | None = None
        self._text = ""

    def feed(self, chunk: bytes) -> list[str]:
        """The lines that `chunk` completes; an empty chunk (end of output) flushes the rest."""
        end = not chunk
        if not self._settled:
            self._pending += chunk
            if len(self._pending) < 4 and not end:
                return []
            self._settled = True
            self._utf16 = _utf16_decoder(self._pending)
            chunk, self._pending = self._pending, b""
        if self._utf16 is not None:
            self._text += self._utf16.decode(chunk, final=end)
            *lines, self._text = self._text.split("\n")
            if end and self._text:
                lines.append(self._text)
            return lines
        self._pending += chunk
        *raw_lines, self._pending = self._pending.split(b"\n")
        if end and self._pending:
            raw_lines.append(self._pending)
        return [_decode_line(raw) for raw in raw_lines]


def _utf16_decoder(start: bytes) -> codecs.IncrementalDecoder | None:
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return codecs.getincrementaldecoder("utf-16")()
    if start[1:2] == b"\x00" and start[0:1] != b"\x00":
        return codecs.getincrementaldecoder("utf-16-le")()
    if start[0:1] == b"\x00" and start[1:2] != b"\x00":
        return codecs.getincrementaldecoder("utf-16-be")()
    return None


def _decode_line(raw: bytes) -> str:
    try:
        return decode(raw)
    except UserInputError:  # neither UTF-8 nor GBK: keep what can be read
        return raw.decode("utf-8", "replace")


def _stop_when_asked(process: subprocess.Popen[bytes], stop: Callable[[], bool],
                     run: SystemRun) -> None:
    """On stop, interrupt `ping` as Ctrl-C would, so that it prints its statistics."""
    while process.poll() is None:
        if stop():
            run.stopped = True
            if sys.platform == "win32":
                process.terminate()
            else:
                process.send_signal(signal.SIGINT)
            return
        threading.Event().wait(_STOP_POLL_S)


def system_ping_honours_interval() -> bool:
    """False where the system ping sends one echo a second whatever it is asked: Windows'
    (no interval option) and BusyBox's (fieldkit passes it none)."""
    ping = find_system_ping()
    if sys.platform == "win32" or ping is None:
        return False
    return not Path(os.path.realpath(ping)).name.startswith("busybox")
