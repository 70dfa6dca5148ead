"""Reading ping output: Windows (English, Chinese), Linux iputils, BusyBox, macOS/BSD, the seed.

The same line parser reads a pasted transcript (`fieldkit ping interpret`) and the live
output of the system `ping` (the fallback backend). Text is normalised first (NFKC turns
full-width `：，（）＝＜` into ASCII; `。` becomes `.`), so one pattern covers both widths.

Bounds (docs/limits.md): a line longer than MAX_LINE_CHARS is no ping output and is passed
over, so no pattern ever scans more than that (several would be quadratic on a 40,000-character
line); a count, sequence number or TTL of more than nine digits, and a summary claiming more
than MAX_REQUESTS requests, are refused: counts a transcript claims never size a list.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from fieldkit.errors import UserInputError
from fieldkit.ping.model import (
    ANSWERED_ERRORS,
    Origin,
    OriginRule,
    Reply,
    ReplyError,
    Statistics,
    Verdict,
)

MAX_LINE_CHARS = 512  # the longest real ping line (a Windows error in Chinese) is ~120
MAX_REQUESTS = 100_000  # more than a day of one ping a second

_ADDR = r"(?P<addr>[0-9A-Za-z.:%*_-]+?)"  # an address, or the seed's placeholder x.x.x.x
_RTT = r"(?P<op>[=<])\s*(?P<rtt>\d+(?:\.\d+)?)\s*ms"

_WINDOWS_REPLY = re.compile(
    rf"(?:Reply from {_ADDR}|来自 ?{_ADDR.replace('addr', 'addr_zh')} ?的回复)\s*:?\s*"
    rf"(?:(?:bytes|字节)\s*[=<]\s*\d+\s+)?(?:time|时间)\s*{_RTT}(?:\s+TTL\s*=\s*(?P<ttl>\d+))?",
    re.IGNORECASE,
)
_UNIX_REPLY = re.compile(
    r"\d+ bytes from (?:[^\s(]+ \((?P<paren>[^)]+)\)|(?P<addr>[^\s:]+)):\s+"
    r"(?:icmp_seq|seq)=(?P<seq>\d+)\s+ttl=(?P<ttl>\d+)\s+time" + _RTT,
    re.IGNORECASE,
)
_ERROR_WORDS: list[tuple[re.Pattern[str], ReplyError]] = [
    (re.compile(r"destination host unreachable|无法访问目标主机|host unreachable", re.I),
     ReplyError.HOST_UNREACHABLE),
    (re.compile(r"destination net(?:work)? unreachable|无法访问目标网", re.I),
     ReplyError.NET_UNREACHABLE),
    (re.compile(r"TTL expired in transit|TTL 传输中过期|time to live exceeded", re.I),
     ReplyError.TTL_EXPIRED),
    (re.compile(r"destination (?:port|protocol) unreachable|无法访问目标端口|"
                r"communication prohibited|packet filtered", re.I),
     ReplyError.UNREACHABLE),
]
_WINDOWS_ERROR_FROM = re.compile(rf"(?:Reply from {_ADDR}|来自 ?{_ADDR.replace('addr', 'addr_zh')}"
                                 r" ?的回复)\s*:", re.I)
_UNIX_ERROR_FROM = re.compile(
    r"^From (?:[^\s(]+ \((?P<paren>[^)]+)\)|(?P<addr>\S+))(?: icmp_seq=(?P<seq>\d+))?", re.I
)
_BSD_ERROR_FROM = re.compile(r"^\d+ bytes from (?P<addr>[^\s:]+): (?!icmp_seq|seq)", re.I)
_TIMEOUT = re.compile(
    r"request timeout for icmp_seq (?P<bsd_seq>\d+)|no answer yet for icmp_seq=(?P<seq>\d+)|"
    r"request timed? ?out|请求超时",
    re.I,
)
_NO_ROUTE = re.compile(
    r"general failure|transmit failed|一般故障|常见故障|传输失败|"
    r"network is unreachable|no route to host",
    re.I,
)
# A host name up to the sentence's full stop (Windows: "host gw.site. Please ...").
_NAME = r"[A-Za-z0-9._-]+?(?=\.?(?:[^A-Za-z0-9._-]|$))"
_HOST_DOWN = re.compile(r"sendto: Host is down", re.I)
_UNKNOWN_HOST = re.compile(
    rf"could not find host (?P<a>{_NAME})|找不到主机 ?(?P<b>{_NAME})|"
    r"ping: (?P<c>\S+): (?:Name or service not known|Temporary failure in name resolution|"
    r"No address associated with hostname)|unknown host (?P<d>\S+)|cannot resolve (?P<e>\S+?):|"
    r"bad address '(?P<f>[^']+)'",
    re.I,
)
_HEADERS = [
    re.compile(r"Pinging (?P<name>\S+) (?:\[(?P<addr>[^\]]+)\] )?with \d+ bytes", re.I),
    re.compile(r"正在 ?Ping (?P<name>\S+) (?:\[(?P<addr>[^\]]+)\] )?具有 ?\d+", re.I),
    re.compile(r"^PING (?P<name>\S+) \((?P<addr>[^)]+)\)"),
    re.compile(r"Ping statistics for (?P<addr>[^\s:]+)", re.I),
    re.compile(r"(?P<addr>\S+) 的 ?Ping 统计信息", re.I),
    re.compile(r"^--- (?P<name>\S+) ping statistics ---", re.I),
]
_BSD_HEADER = re.compile(r"^PING \S+ \([^)]+\): \d+ data bytes")
_WINDOWS_COUNTS = re.compile(
    r"(?:Sent|已发送)\s*=\s*(?P<sent>\d+)\s*,\s*(?:Received|已接收)\s*=\s*(?P<received>\d+)", re.I
)
_UNIX_COUNTS = re.compile(
    r"(?P<sent>\d+) packets transmitted, (?P<received>\d+)(?: packets)? received"
    r"(?:, \+(?P<errors>\d+) errors)?",
    re.I,
)
_WINDOWS_RTTS = re.compile(
    r"(?:Minimum|最短)\s*=\s*(?P<min>\d+)\s*ms\s*,\s*(?:Maximum|最长)\s*=\s*(?P<max>\d+)\s*ms\s*,"
    r"\s*(?:Average|平均)\s*=\s*(?P<avg>\d+)\s*ms",
    re.I,
)
_UNIX_RTTS = re.compile(
    r"(?:rtt|round-trip) min/avg/max(?:/(?:mdev|stddev))? = (?P<min>[\d.]+)/(?P<avg>[\d.]+)/"
    r"(?P<max>[\d.]+)(?:/(?P<mdev>[\d.]+))?",
    re.I,
)


def decode(data: bytes) -> str:
    """Text of a transcript saved as UTF-8, UTF-16 (BOM or not) or GBK/CP936 (GB18030)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    elif data[:200].count(b"\x00") > len(data[:200]) // 4:
        encodings = ["utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"]
    else:
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserInputError("cannot read the transcript: not UTF-8, UTF-16 or GBK text")


def _number(text: str) -> int:
    """A count, sequence number or TTL from the transcript; more than nine digits is no ping's."""
    if len(text) > 9:
        raise UserInputError(
            f"the transcript holds a number of {len(text)} digits: not ping output"
        )
    return int(text)


def normalise(line: str) -> str:
    return unicodedata.normalize("NFKC", line).replace("。", ".").strip()


def classify_origin(
    from_address: str | None, target: str | None, own_ip: str | None
) -> tuple[Origin, OriginRule]:
    """Whether an error in a transcript came from the laptop itself or from another router."""
    if from_address is None:
        return Origin.LOCAL, OriginRule.NO_SENDER
    if own_ip is not None:
        if from_address == own_ip:
            return Origin.LOCAL, OriginRule.OWN_IP_OPTION
        return Origin.REMOTE, OriginRule.NOT_OWN_IP_OPTION
    try:
        sender = ipaddress.ip_address(from_address)
        target_network = ipaddress.ip_network(f"{target}/24", strict=False)
    except ValueError:
        return Origin.REMOTE, OriginRule.NO_TARGET
    if sender in target_network and from_address != target:
        return Origin.LOCAL, OriginRule.INSIDE_TARGET_24
    return Origin.REMOTE, OriginRule.OUTSIDE_TARGET_24


@dataclass
class TranscriptParser:
    """Fed one line at a time; `feed` returns the reply a line reports, if any."""

    own_ip: str | None = None
    # Live output of the system ping: whether an address is this laptop's, known for sure.
    is_local: Callable[[str], bool] | None = None
    target: str | None = None
    address: str | None = None
    replies: list[Reply] = field(default_factory=list)
    reported: Statistics | None = None
    reported_sent: int | None = None
    unknown_host: str | None = None
    detail: str | None = None
    origin_rule: OriginRule | None = None
    recognised: bool = False
    seq_base: int = 1
    _errors_seen: set[int] = field(default_factory=set)

    def feed(self, raw_line: str) -> Reply | None:
        if len(raw_line) > MAX_LINE_CHARS:
            return None
        line = normalise(raw_line)
        if not line:
            return None
        if self._read_header_or_summary(line):
            self.recognised = True
            return None
        reply = self._read_probe(line)
        if reply is not None:
            self.recognised = True
            if reply.error in ANSWERED_ERRORS:
                self._judge_origin(reply)
            self.replies.append(reply)
        return reply

    def _read_header_or_summary(self, line: str) -> bool:
        if _BSD_HEADER.match(line):
            self.seq_base = 0
        for pattern in _HEADERS:
            match = pattern.search(line)
            if match:
                groups = match.groupdict()
                self.target = self.target or groups.get("name") or groups.get("addr")
                self.address = self.address or groups.get("addr") or groups.get("name")
                return True
        counts = _WINDOWS_COUNTS.search(line) or _UNIX_COUNTS.search(line)
        if counts:
            sent, received = _number(counts["sent"]), _number(counts["received"])
            if max(sent, received) > MAX_REQUESTS:
                raise UserInputError(
                    f"the transcript claims {sent} requests sent and {received} received; "
                    f"at most {MAX_REQUESTS} are read"
                )
            self.reported_sent = sent
            self.reported = Statistics(sent, received,
                                       _number(counts.groupdict().get("errors") or "0"),
                                       None, None, None, None)
            return True
        rtts = _WINDOWS_RTTS.search(line) or _UNIX_RTTS.search(line)
        if rtts:
            base = self.reported or Statistics(0, 0, 0, None, None, None, None)
            mdev = rtts.groupdict().get("mdev")
            self.reported = Statistics(
                base.sent, base.received, base.errors, float(rtts["min"]), float(rtts["avg"]),
                float(rtts["max"]), None if mdev is None else float(mdev),
            )
            return True
        unknown = _UNKNOWN_HOST.search(line + " ")
        if unknown:
            self.unknown_host = next(value for value in unknown.groupdict().values() if value)
            self.detail = line
            return True
        return False

    def _next_seq(self) -> int:
        """The request a line without a number reports: the one after the last line's."""
        return self.replies[-1].seq + 1 if self.replies else self.seq_base

    def _read_probe(self, line: str) -> Reply | None:
        match = _UNIX_REPLY.search(line)
        if match:
            seq = _number(match["seq"])
            if seq == 0:
                self.seq_base = 0
            if any(reply.seq == seq and reply.answered for reply in self.replies):
                return None  # a duplicate (DUP!) answers nothing new
            return Reply(seq, rtt_ms=float(match["rtt"]), rtt_below=match["op"] == "<",
                         from_address=match["paren"] or match["addr"], ttl=_number(match["ttl"]))
        match = _WINDOWS_REPLY.search(line)
        if match:
            return Reply(self._next_seq(), rtt_ms=float(match["rtt"]),
                         rtt_below=match["op"] == "<",
                         from_address=match["addr"] or match["addr_zh"],
                         ttl=_number(match["ttl"]) if match["ttl"] else None)
        timeout = _TIMEOUT.search(line)
        if timeout:
            seq_text = timeout["seq"] or timeout["bsd_seq"]
            seq = _number(seq_text) if seq_text else self._next_seq()
            return Reply(seq, error=ReplyError.TIMEOUT)
        error = next((kind for pattern, kind in _ERROR_WORDS if pattern.search(line)), None)
        if error is not None:
            return self._error_reply(line, error)
        if _HOST_DOWN.search(line):
            return Reply(self._next_seq(), error=ReplyError.HOST_UNREACHABLE, origin=Origin.LOCAL)
        if _NO_ROUTE.search(line):
            self.detail = line
            return Reply(self._next_seq(), error=ReplyError.NO_ROUTE)
        return None

    def _error_reply(self, line: str, error: ReplyError) -> Reply:
        unix = _UNIX_ERROR_FROM.match(line)
        if unix:
            seq = _number(unix["seq"]) if unix["seq"] else self._next_seq()
            return Reply(seq, from_address=unix["paren"] or unix["addr"], error=error)
        windows = _WINDOWS_ERROR_FROM.search(line) or _BSD_ERROR_FROM.match(line)
        sender = None
        if windows:
            sender = windows.groupdict().get("addr") or windows.groupdict().get("addr_zh")
        return Reply(self._next_seq(), from_address=sender, error=error)

    def _judge_origin(self, reply: Reply) -> None:
        if reply.origin is not None:
            return
        if self.is_local is not None and reply.from_address is not None:
            reply.origin = Origin.LOCAL if self.is_local(reply.from_address) else Origin.REMOTE
            return
        reply.origin, rule = classify_origin(reply.from_address, self.address, self.own_ip)
        if self.origin_rule is None:
            self.origin_rule = rule

    def finish(self) -> tuple[list[Reply], int]:
        """Every request's outcome in seq order, lost ones filled in, and how many were sent."""
        replies = self.replies
        if not replies and self.reported and self.reported.received:
            # Only the summary survived: its replies, at the slowest round trip it printed.
            replies = [Reply(self.seq_base + index, rtt_ms=self.reported.max_ms or 0.0)
                       for index in range(self.reported.received)]
        sent = self.reported_sent if self.reported_sent is not None else len(replies)
        by_seq: dict[int, Reply] = {}
        for reply in replies:
            known = by_seq.get(reply.seq)
            if known is None or (not known.answered and reply.error is not ReplyError.TIMEOUT):
                by_seq[reply.seq] = reply
        for seq in range(self.seq_base, self.seq_base + sent):
            by_seq.setdefault(seq, Reply(seq, error=ReplyError.TIMEOUT))
        return [by_seq[seq] for seq in sorted(by_seq)], max(sent, len(by_seq))

    def verdict_before_sending(self) -> Verdict | None:
        if self.unknown_host is not None and not self.replies:
            return Verdict.UNKNOWN_HOST
        return None
