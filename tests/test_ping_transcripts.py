"""`fieldkit ping interpret` over the transcript corpus in tests/transcripts/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_runner import json_payload

from fieldkit.errors import UserInputError
from fieldkit.ping import Verdict, interpret_transcript
from fieldkit.yamlsafe import load_yaml

CORPUS = Path(__file__).parent / "transcripts"
EXPECTED: dict[str, dict[str, Any]] = load_yaml(CORPUS / "expected.yaml").data


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "fieldkit", "ping", *args], input=stdin,
                          capture_output=True, check=False)


def test_every_transcript_has_an_expected_verdict_and_the_corpus_keeps_growing() -> None:
    names = {path.stem for path in CORPUS.glob("*.txt")}
    assert names == set(EXPECTED)
    assert len(names) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_transcript_gets_its_verdict(name: str) -> None:
    expected = EXPECTED[name]
    result = interpret_transcript((CORPUS / f"{name}.txt").read_bytes(),
                                  own_ip=expected.get("own_ip"))
    assert result.verdict.value == expected["verdict"]
    assert result.backend == "transcript"
    stats = result.statistics
    if "sent" in expected:
        assert stats.sent == expected["sent"]
    if "received" in expected:
        assert stats.received == expected["received"]
    if "router" in expected:
        assert result.router == expected["router"]
    if "rule" in expected:
        assert result.origin_rule is not None and result.origin_rule.value == expected["rule"]


def test_windows_rtts_under_one_ms_are_bounds_and_its_own_summary_is_kept() -> None:
    result = interpret_transcript((CORPUS / "windows-en-ok.txt").read_bytes())
    assert [reply.rtt_below for reply in result.replies] == [False, True, False, False]
    assert (result.statistics.min_ms, result.statistics.max_ms) == (0.0, 2.0)


def test_lost_requests_iputils_does_not_print_are_filled_in_by_sequence() -> None:
    result = interpret_transcript((CORPUS / "linux-iputils-partial-loss.txt").read_bytes())
    assert [reply.seq for reply in result.replies] == [1, 2, 3, 4, 5, 6]
    assert [reply.answered for reply in result.replies] == [True, False] * 3


def test_chinese_unknown_host_names_the_host_despite_the_full_stop() -> None:
    result = interpret_transcript((CORPUS / "windows-zh-unknown-host-gbk.txt").read_bytes())
    assert result.target == "gw.customer-site"


def test_the_same_unreachable_sender_is_local_or_remote_by_own_ip() -> None:
    text = (CORPUS / "windows-en-own-ip-off-subnet.txt").read_bytes()
    assert interpret_transcript(text).verdict is Verdict.REMOTE_UNREACHABLE
    assert interpret_transcript(text, own_ip="172.16.5.20").verdict is Verdict.LOCAL_UNREACHABLE
    assert interpret_transcript(text, own_ip="172.16.5.99").verdict is Verdict.REMOTE_UNREACHABLE


def test_text_and_bytes_read_alike() -> None:
    raw = (CORPUS / "windows-zh-ok-utf8.txt").read_bytes()
    assert interpret_transcript(raw.decode("utf-8")).verdict is Verdict.OK


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"hello, this is not ping output\n", "no ping output"),
     (bytes(range(128, 256)) * 4, "cannot read"),
     (b"Pinging 10.0.0.1 with 32 bytes of data:\n", "no echo request")],
)
def test_unreadable_transcripts_are_user_errors(data: bytes, message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        interpret_transcript(data)


def test_cli_prints_the_json_verdict_and_exits_by_it() -> None:
    done = run_cli("interpret", str(CORPUS / "windows-zh-remote-unreachable-utf16.txt"),
                   "--json", "--lang", "zh")
    assert done.returncode == 1
    result = json_payload(done.stdout, "fieldkit.ping/1")
    assert result["verdict"] == "remote_unreachable" and result["seed_outcome"] == "failure_3"
    assert result["backend"] == "transcript" and result["router"] == "192.168.0.1"
    assert result["origin_rule"]["rule"] == "outside_target_24"
    assert "192.168.0.1" in result["explanation"]["meaning"]
    assert result["explanation"]["seed_outcome"]["label"] == "连接失败3"


def test_cli_reads_stdin_and_shows_the_lines_and_the_panel() -> None:
    done = run_cli("interpret", "-", "--lang", "en",
                   stdin=(CORPUS / "seed-normal.txt").read_bytes())
    assert done.returncode == 0
    out = done.stdout.decode()
    assert "Reply from x.x.x.x: time<50 ms TTL=254" in out
    assert "Connection normal" in out


@pytest.mark.parametrize(
    ("args", "code", "stderr"),
    [(["interpret", "no-such-file.txt"], 2, "cannot read no-such-file.txt"),
     (["interpret", str(CORPUS / "windows-en-unknown-host.txt")], 2, ""),
     (["interpret", str(CORPUS / "seed-failure-1.txt"), "--own-ip", "not-an-ip"], 2,
      "--own-ip 'not-an-ip' is not an IP address")],
)
def test_cli_exit_codes_for_bad_input(args: list[str], code: int, stderr: str) -> None:
    done = run_cli(*args)
    assert done.returncode == code
    assert stderr in done.stderr.decode()


def test_a_transcript_of_the_laptop_pinging_its_own_ip_is_own_address() -> None:
    text = (CORPUS / "linux-iputils-ok.txt").read_bytes()  # pinged 198.18.0.1, all answered
    assert interpret_transcript(text, own_ip="198.18.0.1").verdict is Verdict.OWN_ADDRESS
    assert interpret_transcript(text, own_ip="198.18.0.10").verdict is Verdict.OK
