"""The ping3 backend: ICMP echo over one socket, with the sender of every ICMP error.

ping3's own `ping()` answers one request at a time and reports "destination host
unreachable" without a usable sender address (and, on Linux's unprivileged ICMP sockets,
not at all: the kernel queues such errors on the socket's error queue). So this module
keeps ping3's checksum and header readers but runs its own loop over one socket:
requests go out on schedule while replies are read as they come, and each ICMP error is
matched to its request through the copy of our header it carries, with its sender taken
from the outer IP header (raw sockets) or from the error queue's offender address
(Linux unprivileged sockets).
"""

from __future__ import annotations

import errno
import os
import random
import select
import socket
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import ping3
from ping3.enums import IcmpV4DestinationUnreachableCode, IcmpV4Type

from fieldkit.ping.model import Origin, ProbePlan, Reply, ReplyError

# Linux constants Python does not export everywhere (from <linux/in.h>, <linux/errqueue.h>).
_IP_RECVERR = 11
_IP_RECVTTL = 12
_SO_EE_ORIGIN_ICMP = 2
_SO_TIMESTAMP = 29  # also SCM_TIMESTAMP: the kernel's receive time of each packet
_TIMEVAL = struct.Struct("@ll")
_HAS_RECVMSG = hasattr(socket.socket, "recvmsg")  # Windows has only recvfrom
_SOCK_EXTENDED_ERR = struct.Struct("=IBBBBII")
_ICMP_HEADER = struct.Struct("!BBHHH")
_NO_ROUTE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH}
_STOP_POLL_S = 0.1  # how often a waiting loop looks at the stop signal


class IcmpUnavailable(Exception):
    """No ICMP socket may be opened here (not root and no unprivileged ICMP)."""


@dataclass
class IcmpRun:
    replies: list[Reply] = field(default_factory=list)
    sent: int = 0
    stopped: bool = False
    socket_kind: str = "raw"


def open_icmp_socket(source: str | None) -> tuple[socket.socket, str]:
    """A raw ICMP socket where allowed, else an unprivileged one ("dgram")."""
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        kind = "raw"
    except OSError as raw_refused:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        except OSError:
            # The raw socket's refusal is the one to show: Windows has no unprivileged ICMP
            # socket, and its raw one is refused without administrator rights.
            raise IcmpUnavailable(str(raw_refused)) from None
        kind = "dgram"
        if sys.platform.startswith("linux"):
            # Without IP_RECVERR Linux drops ICMP errors for unconnected ICMP sockets.
            sock.setsockopt(socket.IPPROTO_IP, _IP_RECVERR, 1)
            sock.setsockopt(socket.IPPROTO_IP, _IP_RECVTTL, 1)
    if sys.platform.startswith("linux"):
        # Round trips from the kernel's receive time, as iputils does: a busy interpreter
        # (the CLI loads its texts meanwhile) must not make a reply look slow.
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMP, 1)
    sock.setblocking(False)
    if source or kind == "dgram":
        sock.bind((source or "0.0.0.0", 0))  # a dgram socket gets its ICMP id when bound
    return sock, kind


def _error_of(icmp_type: int, code: int) -> ReplyError | None:
    if icmp_type == IcmpV4Type.TIME_EXCEEDED:
        return ReplyError.TTL_EXPIRED
    if icmp_type != IcmpV4Type.DESTINATION_UNREACHABLE:
        return None
    if code in (
        IcmpV4DestinationUnreachableCode.DESTINATION_HOST_UNREACHABLE,
        IcmpV4DestinationUnreachableCode.DESTINATION_HOST_UNKNOWN,
    ):
        return ReplyError.HOST_UNREACHABLE
    if code in (
        IcmpV4DestinationUnreachableCode.DESTINATION_NETWORK_UNREACHABLE,
        IcmpV4DestinationUnreachableCode.DESTINATION_NETWORK_UNKNOWN,
    ):
        return ReplyError.NET_UNREACHABLE
    return ReplyError.UNREACHABLE


@dataclass(frozen=True)
class _Answer:
    """One ICMP message that answers (or reports an error about) one of our requests."""

    icmp_id: int
    seq: int
    from_address: str
    ttl: int | None
    error: ReplyError | None
    received_wall: float | None = None  # kernel receive time (time.time() scale), if known


def parse_icmp_packet(data: bytes, from_address: str, ttl: int | None) -> _Answer | None:
    """An echo reply or an ICMP error about an echo request, with or without an IP header.

    Raw sockets (and macOS's unprivileged ones) hand over the IP header; Linux's unprivileged
    sockets start at the ICMP header. An IPv4 header starts with 0x4_, which no ICMP type does.
    """
    if len(data) >= 20 and data[0] >> 4 == 4:
        header_length = (data[0] & 0x0F) * 4
        ip_header = ping3.read_ipv4_header(data[:20])
        from_address, ttl = ip_header["src_addr"], ip_header["ttl"]
        data = data[header_length:]
    if len(data) < _ICMP_HEADER.size:
        return None
    icmp = ping3.read_icmp_header(data[: _ICMP_HEADER.size])
    if icmp["type"] == IcmpV4Type.ECHO_REPLY:
        return _Answer(icmp["id"], icmp["seq"], from_address, ttl, None)
    error = _error_of(icmp["type"], icmp["code"])
    if error is None:
        return None
    # The error quotes our request: its IP header, then at least 8 bytes of our ICMP header.
    quoted = data[_ICMP_HEADER.size :]
    if len(quoted) < 20 + _ICMP_HEADER.size:
        return None
    inner = quoted[(quoted[0] & 0x0F) * 4 :]
    original = ping3.read_icmp_header(inner[: _ICMP_HEADER.size])
    if original["type"] != IcmpV4Type.ECHO_REQUEST:
        return None
    return _Answer(original["id"], original["seq"], from_address, None, error)


def _read_error_queue(sock: socket.socket) -> list[_Answer]:
    """Linux unprivileged sockets: ICMP errors wait on the error queue, sender as offender."""
    answers: list[_Answer] = []
    while True:
        try:
            data, ancillary, _, _ = sock.recvmsg(2048, 512, socket.MSG_ERRQUEUE)
        except (BlockingIOError, InterruptedError):
            return answers
        except OSError:
            return answers
        for level, kind, payload in ancillary:
            if level != socket.IPPROTO_IP or kind != _IP_RECVERR:
                continue
            _, origin, icmp_type, code, _, _, _ = _SOCK_EXTENDED_ERR.unpack_from(payload)
            error = _error_of(icmp_type, code)
            if origin != _SO_EE_ORIGIN_ICMP or error is None or len(data) < _ICMP_HEADER.size:
                continue
            # After the extended error comes the offender's sockaddr_in: family, port, address.
            address_at = _SOCK_EXTENDED_ERR.size + 4
            offender = socket.inet_ntoa(payload[address_at : address_at + 4])
            original = ping3.read_icmp_header(data[: _ICMP_HEADER.size])
            answers.append(_Answer(original["id"], original["seq"], offender, None, error))


def _read_socket(sock: socket.socket, kind: str) -> list[_Answer]:
    answers: list[_Answer] = []
    if kind == "dgram" and sys.platform.startswith("linux"):
        answers.extend(_read_error_queue(sock))
    while True:
        try:
            if _HAS_RECVMSG:
                data, ancillary, _, address = sock.recvmsg(4096, 64)
            else:
                (data, address), ancillary = sock.recvfrom(4096), []
        except (BlockingIOError, InterruptedError):
            return answers
        except OSError as error:
            # A pending ICMP error surfaces once as a failed read; its details are queued.
            if error.errno in _NO_ROUTE_ERRNOS | {errno.EHOSTDOWN, errno.ECONNREFUSED}:
                answers.extend(_read_error_queue(sock))
                continue
            return answers
        ttl, received_wall = None, None
        for level, kind_of, payload in ancillary:
            if level == socket.IPPROTO_IP and kind_of == socket.IP_TTL and len(payload) >= 4:
                ttl = int.from_bytes(payload[:4], sys.byteorder)
            elif level == socket.SOL_SOCKET and kind_of == _SO_TIMESTAMP:
                seconds, microseconds = _TIMEVAL.unpack_from(payload)
                received_wall = seconds + microseconds / 1e6
        answer = parse_icmp_packet(data, str(address[0]), ttl)
        if answer is not None:
            answers.append(replace(answer, received_wall=received_wall))


def echo_request(icmp_id: int, seq: int, size: int) -> bytes:
    """An ICMP echo request with `size` payload bytes, checksummed the way ping3 does."""
    payload = bytes(size)
    header = _ICMP_HEADER.pack(IcmpV4Type.ECHO_REQUEST, 0, 0, icmp_id, seq)
    checksum = socket.htons(ping3.checksum(header + payload))
    return _ICMP_HEADER.pack(IcmpV4Type.ECHO_REQUEST, 0, checksum, icmp_id, seq) + payload


def _send_failure(seq: int, error: OSError) -> Reply:
    if error.errno == errno.EHOSTDOWN:  # macOS: the laptop's own ARP request got no answer
        return Reply(seq, error=ReplyError.HOST_UNREACHABLE, origin=Origin.LOCAL)
    if error.errno in _NO_ROUTE_ERRNOS:
        return Reply(seq, error=ReplyError.NO_ROUTE)
    return Reply(seq, error=ReplyError.OTHER)


def run_icmp(
    address: str,
    plan: ProbePlan,
    *,
    on_reply: Callable[[Reply], None] | None,
    stop: Callable[[], bool],
    is_local: Callable[[str], bool],
) -> IcmpRun:
    """Send `plan.count` echo requests (None: until `stop`), `plan.interval_s` apart.

    Each request ends as a reply, an ICMP error, a send failure, or lost after `timeout_s`.
    Like iputils, once every request is out and at least one reply came back, the last ones
    are waited for at most max(2 x slowest round trip, interval); a send failure for want
    of a route ends the test at once, as the system ping does.
    """
    count, interval_s, timeout_s = plan.count, plan.interval_s, plan.timeout_s
    sock, kind = open_icmp_socket(plan.source)
    run = IcmpRun(socket_kind=kind)
    icmp_id = (os.getpid() ^ random.getrandbits(16)) & 0xFFFF
    # wire seq -> (seq, monotonic send time, wall-clock send time)
    outstanding: dict[int, tuple[int, float, float]] = {}
    results: dict[int, Reply] = {}
    max_rtt_s = 0.0
    next_send = time.monotonic()
    last_send = next_send

    def settle(reply: Reply) -> None:
        results[reply.seq] = reply
        if on_reply is not None:
            on_reply(reply)

    def deadline_of(sent_at: float, more_to_send: bool) -> float:
        deadline = sent_at + timeout_s
        if not more_to_send and any(reply.answered for reply in results.values()):
            deadline = min(deadline, last_send + max(2 * max_rtt_s, interval_s))
        return deadline

    with sock:
        if kind == "dgram":
            icmp_id = sock.getsockname()[1]  # the kernel puts the socket's own id in
        while True:
            now = time.monotonic()
            if stop():
                run.stopped = True
                break
            more_to_send = count is None or run.sent < count
            if more_to_send and now >= next_send:
                run.sent += 1
                next_send = now + interval_s
                last_send = now
                packet = echo_request(icmp_id, run.sent & 0xFFFF, plan.size)
                sent_wall = time.time()  # right before the send: nothing Python in between
                try:
                    sock.sendto(packet, (address, 0))
                except OSError as error:
                    failure = _send_failure(run.sent, error)
                    settle(failure)
                    if failure.error is ReplyError.NO_ROUTE:
                        break  # the laptop has no way out: no request can get further
                    continue
                outstanding[run.sent & 0xFFFF] = (run.sent, now, sent_wall)
                continue
            if not more_to_send and not outstanding:
                break
            wakes = [deadline_of(sent_at, more_to_send) for _, sent_at, _ in outstanding.values()]
            if more_to_send:
                wakes.append(next_send)
            wait = max(0.0, min(min(wakes) - now, _STOP_POLL_S))
            readable, _, _ = select.select([sock], [], [], wait)
            received_at = time.monotonic()
            for answer in _read_socket(sock, kind) if readable else []:
                if answer.icmp_id != icmp_id or answer.seq not in outstanding:
                    continue
                seq, sent_at, sent_wall = outstanding.pop(answer.seq)
                if answer.error is None:
                    rtt_s = received_at - sent_at
                    if answer.received_wall is not None:
                        kernel_rtt_s = answer.received_wall - sent_wall
                        if 0 <= kernel_rtt_s <= rtt_s:  # no clock step in between
                            rtt_s = kernel_rtt_s
                    max_rtt_s = max(max_rtt_s, rtt_s)
                    settle(Reply(seq, rtt_ms=rtt_s * 1000.0, from_address=answer.from_address,
                                 ttl=answer.ttl))
                    continue
                origin = Origin.LOCAL if is_local(answer.from_address) else Origin.REMOTE
                settle(Reply(seq, from_address=answer.from_address, error=answer.error,
                             origin=origin))
            now = time.monotonic()
            for wire_seq, (seq, sent_at, _) in list(outstanding.items()):
                if now >= deadline_of(sent_at, more_to_send):
                    del outstanding[wire_seq]
                    settle(Reply(seq, error=ReplyError.TIMEOUT))
    if run.stopped:
        run.sent -= len(outstanding)  # still within their timeout: neither answered nor lost
    run.replies = [results[seq] for seq in sorted(results)]
    return run
