"""`ping --watch` and `ping --quick` against real hosts in the namespace lab (tests/netlab.py),
on a pseudo-terminal as the engineer runs them.

The gateway is made to ignore echo (`net.ipv4.icmp_echo_ignore_all=1` in its namespace, a
pulled connector) and then to answer again (re-seated): the running verdict must follow.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import sys
from pathlib import Path

import pexpect
import pytest
from cli_runner import json_payload
from netlab import FLAKY, GATEWAY, SILENT, Lab
from screens import plain

pytestmark = [pytest.mark.netns, pytest.mark.slow]


def spawn_in_laptop(lab: Lab, *args: str) -> pexpect.spawn:
    """`fieldkit ARGS` on a pseudo-terminal in the laptop's namespace; all it printed goes to
    its `logfile_read` (a StringIO)."""
    child = pexpect.spawn(
        "ip", lab.command(lab.laptop, sys.executable, "-m", "fieldkit", *args)[1:],
        encoding="utf-8", timeout=20, dimensions=(50, 100),
        env={"NO_COLOR": "1", "TERM": "xterm", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )
    child.logfile_read = io.StringIO()
    return child


@pytest.fixture
def gateway_answers(netlab: Lab):  # type: ignore[no-untyped-def]
    yield netlab
    netlab.sysctl(netlab.ns("gateway"), "net.ipv4.icmp_echo_ignore_all=0")


@pytest.mark.parametrize("backend", ["ping3", "system"])
def test_the_window_verdict_follows_a_gateway_that_stops_and_starts_answering(
    gateway_answers: Lab, backend: str
) -> None:
    lab = gateway_answers
    child = spawn_in_laptop(lab, "ping", GATEWAY, "--watch", "-i", "0.2", "-W", "0.5",
                            "--window", "5", "--lang", "en", "--backend", backend)
    child.expect(r"→ Connection normal \(ok\)")
    lab.sysctl(lab.ns("gateway"), "net.ipv4.icmp_echo_ignore_all=1")  # the connector is out
    child.expect(r"→ now: Some requests lost \(partial_loss\) \(change 1\)")
    child.expect(r"→ now: Request timed out \(timeout\) \(change 2\)")
    lab.sysctl(lab.ns("gateway"), "net.ipv4.icmp_echo_ignore_all=0")  # and back in
    # The first answers share the window with the losses; three in a row and they are gone.
    child.expect(r"→ now: Some requests lost \(partial_loss\) \(change 3\)")
    child.expect(r"→ now: Connection normal \(ok\) \(change 4\)")
    child.kill(signal.SIGINT)
    child.expect(pexpect.EOF)
    child.close()
    shown = plain(child.logfile_read.getvalue())
    assert child.exitstatus == 0  # the verdict of the last window, not of the whole session
    assert re.search(r"Connection normal\s+\(ok\)", shown)
    assert "the verdict changed 4 times" in " ".join(shown.split())
    stats = re.search(r"Sent (\d+), received (\d+), lost", shown)
    assert stats and int(stats[2]) < int(stats[1])  # the session's statistics keep the losses
    numbers = [int(n) for n in re.findall(r"#(\d+) ", shown)]
    assert numbers == list(range(1, len(numbers) + 1))  # a line per reply, in order


def test_watch_json_gives_the_window_and_the_changes(gateway_answers: Lab) -> None:
    lab = gateway_answers
    child = spawn_in_laptop(lab, "ping", FLAKY, "--watch", "-i", "0.2", "-W", "0.5",
                            "--window", "4", "--json")
    child.expect(pexpect.TIMEOUT, timeout=2)
    child.kill(signal.SIGINT)
    child.expect(pexpect.EOF)
    data = json_payload(child.before[child.before.index("{"):], "fieldkit.ping/1")
    assert data["verdict"] == "partial_loss"
    assert data["watch"]["window"] == 4 and len(data["watch"]["judged"]) == 4
    assert data["count"] is None and data["stopped"] is True


@pytest.mark.parametrize(("target", "verdict"), [(GATEWAY, "ok"), (SILENT, "timeout"),
                                                 (FLAKY, "partial_loss")])
def test_quick_gives_the_same_verdicts(netlab: Lab, target: str, verdict: str) -> None:
    done = netlab.fieldkit("ping", target, "--quick", "--json")
    data = json_payload(done.stdout, "fieldkit.ping/1")
    assert data["verdict"] == verdict
    assert (data["count"], data["interval_s"], data["timeout_s"]) == (4, 0.2, 1.0)
    assert data["stopped"] is False  # ended by the verdict, not by the user


def test_until_certain_stops_at_the_first_loss_after_an_answer(netlab: Lab) -> None:
    code = ("from fieldkit.ping import run_ping; "
            f"r = run_ping({FLAKY!r}, count=20, interval_s=0.2, timeout_s=1.0, "
            "until_certain=True); print(r.sent, r.stopped, r.verdict.value)")
    done = netlab.run(netlab.laptop, sys.executable, "-c", code)
    sent, stopped, verdict = done.stdout.split()
    assert verdict == "partial_loss" and stopped == "False"
    assert int(sent) < 20


@pytest.mark.skipif(shutil.which("busybox") is None, reason="no busybox")
def test_quick_says_when_the_system_ping_cannot_send_faster(netlab: Lab, tmp_path: Path) -> None:
    (tmp_path / "ping").symlink_to(shutil.which("busybox") or "")
    path = f"PATH={tmp_path}:{os.environ.get('PATH', '')}"
    done = netlab.run(netlab.laptop, "env", path, sys.executable, "-m", "fieldkit", "ping",
                      GATEWAY, "--backend", "system", "--quick", "--json")
    assert json_payload(done.stdout, "fieldkit.ping/1")["caveats"] == ["interval_1s"]
    shown = netlab.run(netlab.laptop, "env", path, "COLUMNS=100", sys.executable, "-m",
                       "fieldkit", "ping", GATEWAY, "--backend", "system", "--quick",
                       "--lang", "en").stdout
    assert "this platform's ping sends one echo a second" in " ".join(
        line.strip("│ ") for line in shown.splitlines())
