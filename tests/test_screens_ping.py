"""The verdict panel and the walk's lines at 80 and 120 columns: every explanation whole
(Chinese wrapped by character), no id or address broken, zh words in zh mode."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import pexpect
import pytest
from screens import WIDTHS, on_pty, plain, reads, render, widest_line
from walk_support import QUICK_TURNUP

from fieldkit.ping import interpret_transcript, load_catalogue
from fieldkit.ping.model import PingResult
from fieldkit.ui.ping import statistics_lines, verdict_panel
from fieldkit.ui.walk_screen import _duration
from fieldkit.ui.wrap import Wrapped

CORPUS = Path(__file__).parent / "transcripts"
# One transcript for every verdict a transcript can give.
TRANSCRIPTS = {
    "ok": "windows-zh-ok-utf8.txt",
    "slow": "linux-iputils-slow.txt",
    "partial_loss": "windows-zh-partial-loss-utf16.txt",
    "timeout": "windows-zh-timeout-gbk.txt",
    "local_unreachable": "windows-zh-local-unreachable-gbk-fullwidth.txt",
    "remote_unreachable": "linux-iputils-remote-unreachable.txt",
    "no_route": "windows-zh-transmit-failed.txt",
    "unknown_host": "windows-zh-unknown-host-gbk.txt",
}


def result_for(verdict: str) -> PingResult:
    result = interpret_transcript((CORPUS / TRANSCRIPTS[verdict]).read_bytes())
    assert result.verdict.value == verdict
    return result


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("verdict", sorted(TRANSCRIPTS))
def test_the_verdict_panel_shows_every_explanation_whole(
    verdict: str, lang: str, width: int
) -> None:
    result = result_for(verdict)
    shown = render(verdict_panel(result, lang), width)  # type: ignore[arg-type]
    assert widest_line(shown) <= width
    assert "…" not in shown
    explanation = load_catalogue().explain(result, lang)  # type: ignore[arg-type]
    for text in [explanation["meaning"], *explanation["next_checks"]]:
        assert reads(shown, text), (text, shown)
    for address in filter(None, (result.address, result.router)):
        assert any(address in line for line in shown.splitlines()), address


def test_the_chinese_explanation_once_cut_at_80_columns_is_whole() -> None:
    shown = render(verdict_panel(result_for("remote_unreachable"), "zh"), 80)
    assert reads(shown, "另一个接口（无线网卡、第二块网卡、VPN）占用了路由，是它的路由器在回复。")


def test_zh_statistics_and_durations_are_in_zh() -> None:
    stats = statistics_lines(result_for("ok").statistics, "zh")
    assert stats[0] == "已发送 4，已接收 4，丢失 0%"
    assert stats[1].startswith("往返时间 最短/平均/最长/偏差 = ")
    assert _duration(timedelta(minutes=3, seconds=5), "zh") == "3 分 05 秒"
    assert _duration(timedelta(hours=1, minutes=2), "zh") == "1 小时 02 分"
    assert _duration(timedelta(seconds=12), "en") == "12 s"


@pytest.mark.parametrize("width", [30, *WIDTHS])
def test_a_visit_id_in_a_sentence_is_never_broken(width: int) -> None:
    visit_id = "20260501T013000Z-7KQ2M9XW4B"
    sentence = f"已保存。走访 {visit_id} 仍在进行中；继续：fieldkit resume {visit_id}"
    shown = render(Wrapped(sentence), width)
    assert widest_line(shown) <= width
    assert sum(line.count(visit_id) for line in shown.splitlines()) == 2


@pytest.mark.slow
def test_quitting_a_walk_at_80_columns_shows_the_resume_command_whole(tmp_path: Path) -> None:
    checklist = tmp_path / "quick.yaml"
    checklist.write_text(QUICK_TURNUP, encoding="utf-8")
    records = tmp_path / "records"
    env = {"FIELDKIT_RECORDS": str(records), "FIELDKIT_CONFIG": str(tmp_path / "c.yaml"),
           "FIELDKIT_LANG": "zh", "NO_COLOR": "1", "TERM": "xterm", "COLUMNS": "80"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "fieldkit", "run", str(checklist), "--customer", "深圳市福田区某某银行股份有限公司",
         "--engineer", "李工", "--site", "福田", "--order", "GD-1", "--order-type", "new",
         "--grade", "local-a"],
        env={**os.environ, **env}, encoding="utf-8", timeout=30, dimensions=(50, 80),
    )
    child.expect("IPv4")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    shown = plain(child.before)
    [visit] = [p.name for p in records.iterdir()]
    assert f"fieldkit resume {visit}" in shown
    assert widest_line(shown) <= 80


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_ping_interpret_on_a_terminal_in_zh(width: int) -> None:
    code, shown = on_pty("ping", "interpret", str(CORPUS / TRANSCRIPTS["remote_unreachable"]),
                         "--lang", "zh", columns=width)
    assert code == 1
    assert widest_line(shown) <= width
    assert reads(shown, load_catalogue().explain(result_for("remote_unreachable"), "zh")["meaning"])
    assert "已发送 4，已接收 0，丢失 100%" in shown


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "hint"), [
    ("en", "Paste the ping output, then Ctrl-D (Ctrl-Z Enter on Windows)."),
    ("zh", "请粘贴 ping 的输出，然后按 Ctrl-D（Windows 上按 Ctrl-Z 再回车）。"),
])
def test_interpret_from_a_terminal_says_how_to_end_the_paste(lang: str, hint: str) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "fieldkit", "ping", "interpret", "-",
                                           "--lang", lang],
                          env={**os.environ, "NO_COLOR": "1", "TERM": "xterm"},
                          encoding="utf-8", timeout=30, dimensions=(50, 120))
    child.expect_exact(hint)
    for line in (CORPUS / "linux-iputils-ok.txt").read_text(encoding="utf-8").splitlines():
        child.sendline(line)
    child.sendeof()
    child.expect("ok")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_interpret_from_a_pipe_prints_no_hint() -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "fieldkit", "ping", "interpret", "-", "--json"],
                          input=(CORPUS / "linux-iputils-ok.txt").read_bytes(),
                          capture_output=True, check=False)
    assert done.returncode == 0 and done.stderr == b""


@pytest.mark.parametrize("width", WIDTHS)
def test_visits_show_in_zh_speaks_zh_for_a_visit_walked_in_english(
    tmp_path: Path, width: int
) -> None:
    from datetime import datetime

    from records_factory import CHINA, completed, fields, snapshot

    from fieldkit.records.store import RecordStore
    from fieldkit.records.view import visit_view
    from fieldkit.ui.visit import visit_screen

    at = datetime(2026, 5, 1, 9, 0, tzinfo=CHINA)
    store = RecordStore(tmp_path / "records", clock=lambda: at)
    with store.create(fields(), snapshot()) as handle:
        record = completed(handle.record, at)
        handle.save(record)
    shown = render(visit_screen(visit_view(record, "zh")), width)
    assert widest_line(shown) <= width
    assert "填写内容: 连接正常" in shown  # the ping step's answer, not "ok"
    assert "第 2 次: 连接正常 (ok)" in shown and "第 1 次: 请求超时 (timeout)" in shown
    assert "已发送 1，已接收 1，丢失 0.0%" in shown
    assert not any(word in shown for word in ("Connection normal", "sent 1", "Request timed"))
    assert record.visit_id in shown
