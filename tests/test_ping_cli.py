"""`fieldkit ping`: a command taking TARGET and a group with `interpret`, exit codes, --watch."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_runner import json_payload

FIELDKIT = [sys.executable, "-m", "fieldkit"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FIELDKIT, *args], capture_output=True, text=True, check=False)


def test_help_shows_the_target_form_and_both_subcommands() -> None:
    done = run_cli("ping", "--help")
    assert done.returncode == 0
    for text in ("fieldkit ping TARGET", "test", "interpret", "Exit codes"):
        assert text in done.stdout


def test_target_first_and_options_first_both_ping() -> None:
    forms = (["127.0.0.1", "-c", "1"], ["-c", "1", "127.0.0.1"], ["test", "127.0.0.1", "-c", "1"])
    for args in forms:
        done = run_cli("ping", *args, "--json")
        assert done.returncode == 0, done.stderr
        assert json_payload(done.stdout, "fieldkit.ping/1")["verdict"] == "ok"


def test_bad_options_exit_2_with_one_line() -> None:
    done = run_cli("ping", "127.0.0.1", "--count", "0")
    assert done.returncode == 2
    assert done.stderr == "fieldkit: error: --count must be at least 1\n"
    assert run_cli("ping", "127.0.0.1", "--backend", "icmp").returncode == 2


@pytest.mark.parametrize("slow_ms", ["nan", "inf", "-4"])
def test_a_slow_ms_that_is_not_a_positive_number_is_refused_for_tests_and_transcripts(
    tmp_path: Path, slow_ms: str
) -> None:
    """NaN used to reach the JSON (`"slow_ms": NaN`, not JSON); -4 made a 1 ms reply slow."""
    transcript = tmp_path / "ping.txt"
    transcript.write_text("Reply from 127.0.0.1: bytes=32 time=1ms TTL=64\n", encoding="utf-8")
    for args in (["127.0.0.1", "-c", "1"], ["interpret", str(transcript)]):
        done = run_cli("ping", *args, "--slow-ms", slow_ms, "--json")
        assert done.returncode == 2, done.stdout
        assert done.stderr == "fieldkit: error: --slow-ms must be a number more than 0\n"


@pytest.mark.parametrize("content", [b"", b"\n\n", "你好，这不是 ping 的输出\n".encode()])
def test_a_file_with_no_ping_output_is_one_line_naming_the_file(
    tmp_path: Path, content: bytes
) -> None:
    transcript = tmp_path / "gateway.txt"
    transcript.write_bytes(content)
    done = run_cli("ping", "interpret", str(transcript))
    assert done.returncode == 2, done.stdout
    assert done.stderr == f"fieldkit: error: {transcript}: no ping output found in the transcript\n"


def test_invalid_target_exits_2_with_its_verdict() -> None:
    done = run_cli("ping", "300.1.1.1", "--json")
    assert done.returncode == 2
    assert json_payload(done.stdout, "fieldkit.ping/1")["verdict"] == "invalid_target"


def test_watch_runs_until_ctrl_c_then_gives_the_verdict() -> None:
    process = subprocess.Popen([*FIELDKIT, "ping", "127.0.0.1", "--watch", "-i", "0.1", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    result = json_payload(out, "fieldkit.ping/1")
    assert result["stopped"] and result["count"] is None
    assert result["statistics"]["sent"] == result["statistics"]["received"] >= 3


@pytest.mark.skipif(shutil.which("setpriv") is None or os.geteuid() != 0,
                    reason="needs root and setpriv to drop CAP_NET_RAW")
@pytest.mark.parametrize("path", ["/nonexistent", os.environ.get("PATH", "")])
def test_without_icmp_permission_it_cannot_test_and_exits_3(path: str) -> None:
    # No CAP_NET_RAW and (outside any lab) no unprivileged ICMP group: no socket opens, and
    # the system ping either is missing or cannot start without its capability.
    if Path("/proc/sys/net/ipv4/ping_group_range").read_text().split() != ["1", "0"]:
        pytest.skip("unprivileged ICMP sockets are allowed here")
    done = subprocess.run(["setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw",
                           "env", f"PATH={path}", *FIELDKIT, "ping", "127.0.0.1", "--json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 3, done.stderr
    result = json_payload(done.stdout, "fieldkit.ping/1")
    assert result["verdict"] == "no_permission" and result["detail"]


def test_watch_on_a_terminal_shows_each_reply_then_the_verdict_panel_on_ctrl_c() -> None:
    import pexpect

    child = pexpect.spawn(
        sys.executable,
        [*FIELDKIT[1:], "ping", "127.0.0.1", "--watch", "-i", "0.2", "--lang", "en"],
        encoding="utf-8", dimensions=(40, 100), timeout=15,
    )
    child.expect(r"#3 +Reply from 127\.0\.0\.1")
    child.sendintr()
    child.expect("Judged over")  # the panel: the running line above says Sent... too
    child.expect(r"Sent (\d+), received (\d+), lost 0%")
    sent, received = (int(n) for n in child.match.groups())
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert sent == received >= 3
