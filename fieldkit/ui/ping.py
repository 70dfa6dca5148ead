"""Rich rendering of ping replies and verdicts, shared by `fieldkit ping` and the walkthrough."""

from __future__ import annotations

from functools import cache

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from fieldkit.lang import Lang
from fieldkit.ping.catalogue import PRACTICE_TAG, load_catalogue
from fieldkit.ping.model import Origin, PingResult, Reply, Statistics, Verdict
from fieldkit.ping.watch import Watch
from fieldkit.ui.wrap import Wrapped

_WORDS = {
    "en": {
        "reply": "Reply from {address}: time{op}{rtt} ms TTL={ttl}",
        "error_from": "Reply from {address}: {error}",
        "this_laptop": "this laptop",
        "router": "another router",
        "seed": "Seed outcome",
        "meaning": "Meaning",
        "next": "Next checks",
        "preflight": "Pre-flight",
        "stats": "Sent {sent}, received {received}, lost {loss:g}%",
        "rtt": "round trip min/avg/max/mdev = {min}/{avg}/{max}/{mdev} ms",
        "stopped": "stopped before the count was reached",
        "rule": "Judged by",
        "statistics": "Statistics",
        "readings": "Two readings",
        "running": "Last {judged} of {window}: {verdict} · changed {changes}× · {stats}  "
                   "(Ctrl-C stops)",
        "now": "→ now: {verdict} (change {changes})",
        "first": "→ {verdict}",
        "judged": "Judged over",
        "judged_over": "the last {judged} replies (#{first}–#{last}; window {window}); "
                       "the verdict changed {changes} times",
        "note": "Note",
        "interval_1s": "this platform's ping sends one echo a second, so the quick test "
                       "takes about 4 s",
    },
    "zh": {
        "reply": "来自 {address} 的回复: 时间{op}{rtt} ms TTL={ttl}",
        "error_from": "来自 {address} 的回复: {error}",
        "this_laptop": "本机",
        "router": "其他路由器",
        "seed": "对应培训资料",
        "meaning": "含义",
        "next": "下一步检查",
        "preflight": "预检",
        "stats": "已发送 {sent}，已接收 {received}，丢失 {loss:g}%",
        "rtt": "往返时间 最短/平均/最长/偏差 = {min}/{avg}/{max}/{mdev} ms",
        "stopped": "未到次数即被停止",
        "rule": "判断依据",
        "statistics": "统计",
        "readings": "两种读法",
        "running": "最近 {judged}/{window} 次：{verdict} · 变化 {changes} 次 · {stats}"
                   "（Ctrl-C 结束）",
        "now": "→ 现在：{verdict}（第 {changes} 次变化）",
        "first": "→ {verdict}",
        "judged": "判断范围",
        "judged_over": "最近 {judged} 次回复（#{first}–#{last}，窗口 {window} 次）；"
                       "结论变化 {changes} 次",
        "note": "注意",
        "interval_1s": "此平台的 ping 每秒只能发一次，快速测试约需 4 秒",
    },
}
_GOOD = {Verdict.OK}
_WARN = {Verdict.SLOW, Verdict.PARTIAL_LOSS}


@cache
def _milliseconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


def reply_line(reply: Reply, lang: Lang, slow_ms: float) -> Text:
    """One request's outcome, coloured: green reply, yellow slow, red lost or error."""
    words = _WORDS[lang]
    prefix = f"#{reply.seq:<3} "
    if reply.answered:
        text = words["reply"].format(
            address=reply.from_address or "?",
            op="<" if reply.rtt_below else "=",
            rtt=_milliseconds(reply.rtt_ms),
            ttl=reply.ttl if reply.ttl is not None else "?",
        )
        slow = reply.rtt_ms is not None and reply.rtt_ms >= slow_ms and not reply.rtt_below
        return Text(prefix + text, style="yellow" if slow else "green")
    assert reply.error is not None
    error = load_catalogue().reply_error_text(reply.error, lang)
    if reply.from_address:
        error = words["error_from"].format(address=reply.from_address, error=error)
    if reply.origin is not None:
        error += f"  ({words['this_laptop'] if reply.origin is Origin.LOCAL else words['router']})"
    return Text(prefix + error, style="red")


def statistics_lines(stats: Statistics, lang: Lang) -> list[str]:
    words = _WORDS[lang]
    lines = [words["stats"].format(sent=stats.sent, received=stats.received, loss=stats.loss_pct)]
    if stats.min_ms is not None:
        lines.append(
            words["rtt"].format(
                min=_milliseconds(stats.min_ms),
                avg=_milliseconds(stats.avg_ms),
                max=_milliseconds(stats.max_ms),
                mdev=_milliseconds(stats.mdev_ms),
            )
        )
    return lines


def _practice_mark(source: str | None, lang: Lang) -> str:
    """The small mark after advice that is field practice rather than the seed's text."""
    return f"  [dim italic]({PRACTICE_TAG.get(lang)})[/dim italic]" if source == "practice" else ""


def verdict_name(verdict: Verdict, lang: Lang) -> str:
    return load_catalogue().verdict_title(verdict, lang)


class ReplyScreen:
    """A line per reply as it comes; with a Watch, the running verdict too: a line each time
    it changes, and on a terminal a status line under the replies until `close()`."""

    def __init__(self, lang: Lang, slow_ms: float, watch: Watch | None, out: Console) -> None:
        self.lang, self.slow_ms, self.watch = lang, slow_ms, watch
        self.console = out
        self.seen: list[Reply] = []
        self.shown_verdict: Verdict | None = None
        self.live: Live | None = None
        if watch is not None and self.console.is_terminal:
            self.live = Live(Text(""), console=self.console, transient=True,
                             refresh_per_second=8)
            self.live.start()

    def reply(self, reply: Reply) -> None:
        """Show one reply; `watch` must already have taken it."""
        self.seen.append(reply)
        self.console.print(reply_line(reply, self.lang, self.slow_ms))
        if self.watch is None or self.watch.verdict is None:
            return
        words = _WORDS[self.lang]
        verdict = self.watch.verdict
        if verdict is not self.shown_verdict:
            name = f"{verdict_name(verdict, self.lang)} ({verdict.value})"
            line = (words["first"].format(verdict=name) if self.shown_verdict is None
                    else words["now"].format(verdict=name, changes=self.watch.changes))
            self.console.print(Wrapped(line, "bold " + _style(verdict)))
            self.shown_verdict = verdict
        if self.live is not None:
            self.live.update(Wrapped(self.status(), "dim"))

    def status(self) -> str:
        """The running line: the window's verdict, its changes, the session's statistics."""
        assert self.watch is not None and self.watch.verdict is not None
        stats = statistics_lines(Statistics.of(self.seen, len(self.seen)), self.lang)[0]
        return _WORDS[self.lang]["running"].format(
            judged=len(self.watch.judged), window=self.watch.window,
            verdict=verdict_name(self.watch.verdict, self.lang), changes=self.watch.changes,
            stats=stats)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()


def _style(verdict: Verdict) -> str:
    return "green" if verdict in _GOOD else "yellow" if verdict in _WARN else "red"


def verdict_panel(result: PingResult, lang: Lang) -> Panel:
    """Outcome, seed outcome, meaning, next checks, pre-flight findings and statistics.

    Every text wraps at the panel's width (Chinese by character, an address never split):
    nothing is cut, whatever the terminal's width.
    """
    words = _WORDS[lang]
    catalogue = load_catalogue()
    explanation = catalogue.explain(result, lang)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    seed = explanation["seed_outcome"]
    if seed is not None:
        example = f"{escape(seed['label'])}: {escape(seed['example'])}"
        table.add_row(words["seed"], _markup_cell(example))
        if seed["readings"]:
            table.add_row(
                words["readings"],
                _markup_cell(
                    escape(seed["readings"]) + _practice_mark(seed["readings_source"], lang)
                ),
            )
    table.add_row(
        words["meaning"],
        _markup_cell(
            escape(explanation["meaning"])
            + _practice_mark(explanation["meaning_source"], lang)
        ),
    )
    checks = [
        ("•", f"{escape(check)}{_practice_mark(source, lang)}")
        for check, source in zip(
            explanation["next_checks"], explanation["next_check_sources"], strict=True
        )
    ]
    table.add_row(words["next"], _items(checks))
    findings = [
        ("[yellow]![/yellow]" if finding.warning else "",
         ("[yellow]" if finding.warning else "")
         + escape(catalogue.finding_text(finding, lang))
         + ("[/yellow]" if finding.warning else ""))
        for finding in result.preflight
    ]
    if findings:
        table.add_row(words["preflight"], _items(findings))
    if result.origin_rule is not None:
        table.add_row(words["rule"],
                      _markup_cell(escape(catalogue.origin_rules[result.origin_rule].get(lang))))
    if result.watch is not None and result.watch.replies:
        judged = result.watch.replies
        table.add_row(words["judged"], _markup_cell(escape(words["judged_over"].format(
            judged=len(judged), first=judged[0].seq, last=judged[-1].seq,
            window=result.watch.window, changes=result.watch.changes))))
    for caveat in result.caveats:
        caveat_text = escape(words.get(caveat, caveat))
        table.add_row(words["note"], _markup_cell(f"[yellow]{caveat_text}[/]"))
    if result.sent:
        stats = statistics_lines(result.statistics, lang)
        if result.stopped and result.watch is None:
            stats.append(words["stopped"])
        table.add_row(words["statistics"], _markup_cell("\n".join(escape(line) for line in stats)))
    if result.detail:
        table.add_row("", _markup_cell(f"[dim]{escape(result.detail)}[/dim]"))
    style = _style(result.verdict)
    title = f"[bold]{escape(explanation['title'])}[/bold]  [dim]({result.verdict.value})[/dim]"
    return Panel(Group(table), title=title, title_align="left", border_style=style)


def _markup_cell(markup: str) -> Wrapped:
    return Wrapped(Text.from_markup(markup))


def _items(items: list[tuple[str, str]]) -> Table | Group:
    """Marked items (• or !) whose lines wrap under their text, not under the mark."""
    if not any(mark for mark, _ in items):
        return Group(*(_markup_cell(markup) for _, markup in items))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for mark, markup in items:
        grid.add_row(Text.from_markup(mark), _markup_cell(markup))
    return grid
