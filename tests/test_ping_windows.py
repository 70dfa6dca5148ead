"""The Windows ping path, run here: the system-ping backend with `sys.platform` set to win32
(in a subprocess), against a stand-in `ping` that prints recorded Windows transcripts byte for
byte (English and Chinese; GBK, UTF-8 and UTF-16; CRLF) a few bytes at a time.

Nothing is sent anywhere: the stand-in only prints. What a real Windows laptop adds (its
console code page, ping.exe itself) is listed as untested in docs/install.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from fieldkit.ping import interpret_transcript
from fieldkit.yamlsafe import load_yaml

CORPUS = Path(__file__).parent / "transcripts"
EXPECTED: dict[str, dict[str, Any]] = load_yaml(CORPUS / "expected.yaml").data
WINDOWS_TRANSCRIPTS = sorted(name for name in EXPECTED if name.startswith("windows-"))
# The laptops these transcripts were taken on had these addresses: an unreachable error from
# one of them is the laptop's own (the live backend asks the system, not the /24 rule).
LAPTOP_ADDRESSES = ["10.20.30.25", "172.16.5.20"]
PAUSE_S = 1.0  # the stand-in stops halfway for this long, as ping.exe waits between replies

STAND_IN = textwrap.dedent(
    """\
    #!{python}
    # A stand-in for Windows' ping.exe: records its command line, prints a transcript.
    import json, os, sys, time
    with open(os.environ["STAND_IN_ARGV"], "w") as record:
        json.dump(sys.argv, record)
    data = open(os.environ["STAND_IN_TRANSCRIPT"], "rb").read()
    half = len(data) // 2 & ~1  # an even offset: UTF-16 pauses between characters, not inside
    for start in range(0, len(data), 5):  # a few bytes at a time: chunks cut lines and characters
        if start <= half < start + 5:
            time.sleep(float(os.environ.get("STAND_IN_PAUSE", "0")))
        sys.stdout.buffer.write(data[start:start + 5])
        sys.stdout.buffer.flush()
    """
)

DRIVER = textwrap.dedent(
    """\
    import json, sys, time
    import codecs, signal, subprocess, threading  # loaded before the platform changes
    from fieldkit.ping import system_backend
    from fieldkit.ping.model import ProbePlan
    from fieldkit.ping.verdicts import decide

    sys.platform = "win32"  # what ping_command and the stop path look at
    stand_in, address, source, count, laptop = sys.argv[1:6]
    plan = ProbePlan(count=int(count) if count else None, interval_s=1.0, timeout_s=1.5,
                     size=32, source=source or None)
    shown = []
    run = system_backend.run_system(
        stand_in, address, plan, on_reply=lambda reply: shown.append(time.monotonic()),
        stop=lambda: False, is_local=lambda sender: sender in laptop.split(","),
    )
    finished = time.monotonic()
    verdict, router = decide(run.replies, run.sent, 50.0)
    print(json.dumps({
        "failure": run.failure, "unknown_host": run.unknown_host, "sent": run.sent,
        "received": sum(reply.answered for reply in run.replies),
        "verdict": verdict.value, "router": router, "replies": len(run.replies),
        "shown": len(shown), "first_shown_before_end_s": finished - shown[0] if shown else None,
    }))
    """
)


def stand_in_ping(folder: Path, name: str = "ping") -> Path:
    ping = folder / name
    ping.write_text(STAND_IN.format(python=sys.executable), encoding="utf-8")
    ping.chmod(0o755)
    return ping


def run_as_windows(
    tmp_path: Path, transcript: bytes, address: str, *, source: str = "", count: str = "4",
    pause_s: float = 0.0,
) -> tuple[list[str], dict[str, Any]]:
    """The system backend's command line and what it made of the stand-in's output."""
    (tmp_path / "transcript").write_bytes(transcript)
    ping = stand_in_ping(tmp_path)
    env = {"STAND_IN_ARGV": str(tmp_path / "argv.json"),
           "STAND_IN_TRANSCRIPT": str(tmp_path / "transcript"), "STAND_IN_PAUSE": str(pause_s)}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(ping), address, source, count,
         ",".join(LAPTOP_ADDRESSES)],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    command = json.loads((tmp_path / "argv.json").read_text(encoding="utf-8"))
    return command, json.loads(done.stdout)


@pytest.mark.parametrize("name", WINDOWS_TRANSCRIPTS)
def test_windows_output_streams_into_the_same_verdict_as_its_transcript(
    name: str, tmp_path: Path
) -> None:
    expected = EXPECTED[name]
    data = (CORPUS / f"{name}.txt").read_bytes()
    address = interpret_transcript(data).address or "10.20.30.1"
    command, result = run_as_windows(tmp_path, data, address)
    assert command[1:] == ["-n", "4", "-w", "1500", "-l", "32", address]
    assert result["failure"] is None
    if expected["verdict"] == "unknown_host":
        assert result["unknown_host"]
        return
    assert result["verdict"] == expected["verdict"]
    for key in ("sent", "received", "router"):
        if key in expected:
            assert result[key] == expected[key], key
    assert result["shown"] == result["replies"]  # every reply reached on_reply


@pytest.mark.parametrize("name", ["windows-en-ok", "windows-zh-partial-loss-utf16"])
def test_each_reply_is_shown_as_windows_prints_it_not_at_the_end(
    name: str, tmp_path: Path
) -> None:
    data = (CORPUS / f"{name}.txt").read_bytes()
    address = interpret_transcript(data).address or ""
    _, result = run_as_windows(tmp_path, data, address, pause_s=PAUSE_S)
    assert result["first_shown_before_end_s"] >= PAUSE_S / 2


def test_the_windows_command_line_for_a_source_address_and_for_until_stopped(
    tmp_path: Path,
) -> None:
    data = (CORPUS / "windows-en-ok.txt").read_bytes()
    command, _ = run_as_windows(tmp_path, data, "10.20.30.1", source="10.20.30.25")
    assert command[1:] == ["-n", "4", "-w", "1500", "-l", "32", "-S", "10.20.30.25",
                           "10.20.30.1"]  # fmt: skip
    command, _ = run_as_windows(tmp_path, data, "10.20.30.1", count="")
    assert command[1:] == ["-t", "-w", "1500", "-l", "32", "10.20.30.1"]


FALLBACK_DRIVER = textwrap.dedent(
    """\
    import json, os, socket, sys
    import psutil, subprocess, signal, threading  # loaded before the platform changes
    from fieldkit.ping import engine, icmp_backend, preflight, system_backend, transcript
    from fieldkit.ping.catalogue import load_catalogue
    load_catalogue()  # pydantic and the texts, loaded on Linux's terms

    def refusing_socket(family=-1, kind=-1, proto=-1, *args, **kwargs):
        if proto == socket.IPPROTO_ICMP and kind == socket.SOCK_RAW:
            raise PermissionError(10013, "An attempt was made to access a socket in a way "
                                         "forbidden by its access permissions")
        if proto == socket.IPPROTO_ICMP:
            raise OSError(10043, "The requested protocol has not been configured")
        return real_socket(family, kind, proto, *args, **kwargs)

    real_socket = socket.socket
    icmp_backend.socket.socket = refusing_socket  # what Windows says without admin rights
    sys.platform = "win32"
    results = [engine.run_ping("127.0.0.1", count=4, backend="auto").to_json("en")
               for _ in range(2)]
    print(json.dumps(results))
    """
)


def test_without_administrator_rights_the_engine_falls_back_and_says_so_once(
    tmp_path: Path,
) -> None:
    """ping3's raw socket is refused on Windows without admin rights (WinError 10013), and
    Windows has no unprivileged ICMP socket: the system ping runs instead, and the first
    result (only) says why."""
    ok = (CORPUS / "windows-en-ok.txt").read_bytes().replace(b"192.168.10.1", b"127.0.0.1")
    (tmp_path / "transcript").write_bytes(ok)
    stand_in_ping(tmp_path, "ping.exe")
    env = {
        **os.environ,
        "PATH": str(tmp_path),  # the stand-in is the only ping there is
        "PATHEXT": ".exe",  # Windows' shutil.which tries ping + each PATHEXT ending
        "STAND_IN_ARGV": str(tmp_path / "argv.json"),
        "STAND_IN_TRANSCRIPT": str(tmp_path / "transcript"),
    }
    done = subprocess.run([sys.executable, "-c", FALLBACK_DRIVER], capture_output=True,
                          text=True, timeout=60, check=False, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout)
    assert (first["backend"], second["backend"]) == ("system", "system")
    assert (first["verdict"], second["verdict"]) == ("ok", "ok")
    notes = [finding for finding in first["preflight"] if finding["code"] == "system_ping_fallback"]
    assert len(notes) == 1
    assert "WinError 10013" in notes[0]["message"] or "forbidden" in notes[0]["message"]
    assert "administrator" in notes[0]["message"]
    assert "system_ping_fallback" not in {finding["code"] for finding in second["preflight"]}
